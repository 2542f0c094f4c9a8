// A program run as a real process whose pino JSON log lines (one object per
// stdout line) are collected, so a test can await a log line or some output
// instead of sleeping. Used for the example control plane by its own tests,
// the integration suite and the replica tests.
import { type ChildProcess, spawn } from "node:child_process";

/** One pino log line: `msg` and `level`, and whatever fields the line carries. */
export interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly pid?: number;
  readonly worker?: number;
  readonly [field: string]: unknown;
}

export interface LoggedProcessOptions {
  /** Names the process in error messages (default: the file). */
  readonly name?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run in a process group of its own, as a terminal runs a command: `process.kill(-child.pid, "SIGINT")`
   * then does what Ctrl-C does (every process of the group gets SIGINT). `stop()` signals the group.
   */
  readonly processGroup?: boolean;
}

export interface LoggedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The log lines so far, in order. */
  readonly lines: LogLine[];
  /** Everything written on stdout so far (log lines and plain text). */
  stdout(): string;
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (past or future); rejects when the process exits first or after `timeoutMs` (default 30 s). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the first log line (past or future) that matches; rejects when the process exits first or after `timeoutMs` (default 30 s). */
  waitForLine(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once the process exited, with its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM; each signal once), then SIGKILL after 10 s; resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `file` with `args`, collecting its JSON log lines from stdout. */
export function startLoggedProcess(file: string, args: readonly string[], options: LoggedProcessOptions = {}): LoggedProcess {
  const name = options.name ?? file;
  const child = spawn(file, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.processGroup === true,
    env: { ...process.env, ...options.env },
  });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
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
        // plain text that starts with a brace
      }
    }
    wake();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  let gone = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      gone = true;
      resolve(code);
      wake();
    }),
  );
  const signal = (which: NodeJS.Signals): void => {
    if (options.processGroup === true && child.pid !== undefined) {
      try {
        process.kill(-child.pid, which);
      } catch {
        // the group is gone
      }
    } else child.kill(which);
  };

  // Waits until `find` returns something, the process exits, or the time is up.
  function waitFor<T>(what: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${err.slice(-2_000)}`));
      }, timeoutMs);
      const check = (): void => {
        const found = find();
        if (found === undefined && !gone) return;
        waiters.delete(check);
        clearTimeout(timer);
        if (found !== undefined) resolve(found);
        else reject(new Error(`${name} exited while waiting for ${what}; stderr: ${err.slice(-2_000)}`));
      };
      waiters.add(check);
      check();
    });
  }

  // Each signal is sent once (a second SIGTERM can mean "force" to a program), a stronger one still goes.
  const sent = new Set<NodeJS.Signals>();
  let killer: NodeJS.Timeout | undefined;
  return {
    name,
    child,
    lines,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: (pattern, timeoutMs = 30_000) => waitFor(`${pattern} on stdout`, () => pattern.exec(out) ?? undefined, timeoutMs),
    waitForLine: (what, match, timeoutMs = 30_000) => waitFor(what, () => lines.find(match), timeoutMs),
    async stop(which: NodeJS.Signals = "SIGTERM") {
      if (!gone && !sent.has(which)) {
        sent.add(which);
        signal(which);
        killer ??= setTimeout(() => signal("SIGKILL"), 10_000);
      }
      await exited;
      clearTimeout(killer);
    },
  };
}
