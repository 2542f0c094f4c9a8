// The app as a real process for its own tests: the built `dist/main.js`, as users run it, with its
// pino JSON log lines collected (@xdskit/test-support's logged process).
import { fileURLToPath } from "node:url";
import { type LoggedProcess, type LoggedProcessOptions, type LogLine, startLoggedProcess } from "@xdskit/test-support";

export type { LogLine };
export type AppProcess = LoggedProcess;

/** The built app (tests of the app as a process run `dist/main.js`, as users do). */
export const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** Runs the app with `args`. */
export function startApp(args: readonly string[]): AppProcess {
  return startLoggedProcess(process.execPath, [mainJs, ...args], { name: "the app" });
}

/** Runs `file` with `args` (a script that ends up running the app), collecting its log lines. */
export function startCommand(file: string, args: readonly string[], options: Omit<LoggedProcessOptions, "name"> = {}): AppProcess {
  return startLoggedProcess(file, args, { name: file, ...options });
}
