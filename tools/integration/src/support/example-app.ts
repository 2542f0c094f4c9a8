// The example control plane as a process, as `npm start` runs it (built dist/main.js, JSON logs
// on stdout), for tests that drive it through its config files, admin port and xDS port.
import { fileURLToPath } from "node:url";
import { type LoggedProcess, startLoggedProcess } from "@xdskit/test-support";

const mainJs = fileURLToPath(new URL("../../../../apps/example-control-plane/dist/main.js", import.meta.url));

export type ExampleApp = LoggedProcess;

export function startExampleApp(args: readonly string[]): ExampleApp {
  return startLoggedProcess(process.execPath, [mainJs, "--log-format", "json", ...args], { name: "the example app" });
}
