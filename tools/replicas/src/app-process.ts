// The example control plane as a real process: started with arguments, its pino JSON log collected.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built example control plane. */
export const appMain = fileURLToPath(new URL("../../../apps/example-control-plane/dist/main.js", import.meta.url));

export interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly pid?: number;
  readonly [field: string]: unknown;
}

export interface AppProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** stderr so far (the store commands print there). */
  stderr(): string;
  stdout(): string;
  /** The first log line (past or future) that matches; rejects when the process exits first or after `timeoutMs`. */
  waitForLine(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM; SIGKILL after 10 s) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the app with `args`. */
export function runApp(name: string, args: readonly string[]): AppProcess {
  const child = spawn(process.execPath, [appMain, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  let gone = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      gone = true;
      resolve(code);
      for (const w of [...waiters]) w();
    }),
  );
  return {
    name,
    child,
    lines,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitForLine(what, match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: timed out waiting for ${what}; stderr: ${err.slice(-1_500)}`));
        }, timeoutMs);
        const check = (): void => {
          const found = lines.find(match);
          if (found === undefined && !gone) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else reject(new Error(`${name} exited while waiting for ${what}; stderr: ${err.slice(-1_500)}`));
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (gone) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Runs a store command (`apply`, `get`, `delete`) to completion. */
export async function runStoreCommand(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runApp(`xdskit ${args[0] ?? ""}`, args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
