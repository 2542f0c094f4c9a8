// The example control plane as a process, as `npm start` runs it (built dist/main.js, JSON logs
// on stdout), for tests that drive it through its config files, admin port and xDS port.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const mainJs = fileURLToPath(new URL("../../../../apps/example-control-plane/dist/main.js", import.meta.url));

export interface AppLogLine {
  readonly msg: string;
  readonly level: number;
  readonly [field: string]: unknown;
}

export interface ExampleApp {
  readonly lines: AppLogLine[];
  /** The first log line (past or future) that matches; rejects after `timeoutMs` or when the app exits. */
  waitForLine(what: string, match: (line: AppLogLine) => boolean, timeoutMs?: number): Promise<AppLogLine>;
  /** SIGTERM, SIGKILL after 10 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export function startExampleApp(args: readonly string[]): ExampleApp {
  const child: ChildProcess = spawn(process.execPath, [mainJs, "--log-format", "json", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: AppLogLine[] = [];
  const waiters = new Set<() => void>();
  let buffered = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(part) as AppLogLine);
      } catch {
        // not a log line
      }
    }
    for (const wake of [...waiters]) wake();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      for (const wake of [...waiters]) wake();
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    lines,
    waitForLine(what, match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the app to log ${what}; stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        const check = (): void => {
          const found = lines.find(match);
          if (found === undefined && !exited) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else reject(new Error(`the app exited while waiting for ${what}; stderr: ${stderr.slice(-2000)}`));
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}
