// The example control plane as a real process: started with arguments, its pino JSON log collected.
import { fileURLToPath } from "node:url";
import { type LoggedProcess, type LogLine, startLoggedProcess } from "@xdskit/test-support";

export type { LogLine };
export type AppProcess = LoggedProcess;

/** The built example control plane. */
export const appMain = fileURLToPath(new URL("../../../apps/example-control-plane/dist/main.js", import.meta.url));

/** Runs the app with `args`; `name` names it in error messages. */
export function runApp(name: string, args: readonly string[]): AppProcess {
  return startLoggedProcess(process.execPath, [appMain, ...args], { name });
}

/** Runs a store command (`apply`, `get`, `delete`) to completion. */
export async function runStoreCommand(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runApp(`xdskit ${args[0] ?? ""}`, args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
