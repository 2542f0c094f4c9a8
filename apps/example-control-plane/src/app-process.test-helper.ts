import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built app (tests of the app as a process run `dist/main.js`, as users do). */
export const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly pid?: number;
  readonly worker?: number;
  readonly [field: string]: unknown;
}

export interface AppProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Everything written on stdout so far (log lines and the plain text the app prints). */
  stdout(): string;
  /** Resolves with the first match of `pattern` in stdout (past or future), or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the first log line (past or future) that matches, or rejects after `timeoutMs`. */
  waitForLine(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once the process exited, with its exit code. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when gone. */
  stop(): Promise<void>;
}

/** Runs the app with `args`, collecting its pino JSON log lines. */
export function startApp(args: readonly string[]): AppProcess {
  return startCommand(process.execPath, [mainJs, ...args]);
}

export interface CommandOptions {
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run in a process group of its own, as a terminal runs a command: `process.kill(-child.pid, "SIGINT")`
   * then does what Ctrl-C does (every process of the group gets SIGINT). `stop()` signals the group.
   */
  readonly processGroup?: boolean;
}

/** Runs `file` with `args` (the app, or a script that ends up running it), collecting its pino JSON log lines. */
export function startCommand(file: string, args: readonly string[], options: CommandOptions = {}): AppProcess {
  const child = spawn(file, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.processGroup === true,
    env: { ...process.env, ...options.env },
  });
  const signal = (name: NodeJS.Signals): void => {
    if (options.processGroup === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, name);
      } catch {
        // the group is gone
      }
    } else child.kill(name);
  };
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buffered = "";
  let stderr = "";
  let stdout = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        // a partial or foreign line
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of [...waiters]) w();
  });
  return {
    child,
    lines,
    exited,
    stdout: () => stdout,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern} on stdout; stderr: ${stderr.slice(-2_000)}`));
        }, timeoutMs);
        const check = (): void => {
          const found = pattern.exec(stdout);
          if (found === null && !gone) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found !== null) resolve(found);
          else reject(new Error(`the app exited while waiting for ${pattern}; stderr: ${stderr.slice(-2_000)}`));
        };
        waiters.add(check);
        check();
      });
    },
    waitForLine(what, match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2_000)}`));
        }, timeoutMs);
        const check = (): void => {
          const found = lines.find(match);
          if (found !== undefined || gone) {
            waiters.delete(check);
            clearTimeout(timer);
            if (found !== undefined) resolve(found);
            else reject(new Error(`the app exited while waiting for ${what}; stderr: ${stderr.slice(-2_000)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
