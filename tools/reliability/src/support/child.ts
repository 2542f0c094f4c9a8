// Child processes the suite kills: TypeScript fixtures run through tsx, plain .mjs run by node.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

// tsx's ESM loader, by path: children run from any working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

export interface Child {
  readonly process: ChildProcess;
  /** Everything printed on stdout so far. */
  output(): string;
  /** Resolves with the first stdout line matching `pattern` (checks lines already printed). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `src/fixtures/<file>` (a .ts through tsx, or a .mjs) with `args`. */
export function spawnFixture(file: string, args: string[]): Child {
  const path = fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));
  const nodeArgs = file.endsWith(".ts") ? ["--import", TSX, path, ...args] : [path, ...args];
  const child = spawn(process.execPath, nodeArgs, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  return {
    process: child,
    output: () => out,
    // Generous: a tsx child transpiles and loads the server cold, which takes tens of seconds on a
    // loaded 2-core machine; a child that dies is reported at once, not after this.
    waitForLine(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          for (const line of out.split("\n")) {
            const m = pattern.exec(line);
            if (m) {
              cleanup();
              resolve(m);
              return;
            }
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`${file} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stderr:\n${err.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${file} did not print ${pattern} within ${timeoutMs} ms; stdout:\n${out.slice(-1000)}\nstderr:\n${err.slice(-2000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(look);
        };
        listeners.add(look);
        look();
      });
    },
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
