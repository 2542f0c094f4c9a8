// A child Node process with a time bound: a tool that stops making progress
// (seen once: a `tsc` child asleep on a futex for 15 minutes with no output)
// ends the run with a message that says so instead of stalling the test command.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";

export interface BoundedRunOptions {
  /** What the run is, for messages: e.g. "tsc -p packages/client/.readme-examples". */
  readonly label: string;
  /** Wall-clock bound of one attempt, in milliseconds. */
  readonly timeoutMs: number;
  /** Attempts when an attempt times out (not when it fails): 1 = no second try. */
  readonly attempts: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface BoundedRunResult {
  /** Exit code of the last attempt; null when it was killed. */
  readonly status: number | null;
  readonly output: string;
  /** One line per attempt that ran out of time. */
  readonly timeouts: readonly string[];
}

/**
 * Runs `process.execPath args` with a bound per attempt; only a timed-out attempt is tried again.
 * The kill is SIGTERM (Node's default action ends even a process stuck on a lock), so a `tsx`
 * parent can still pass it on to the child that runs the example.
 */
export function runBounded(args: readonly string[], options: BoundedRunOptions): BoundedRunResult {
  const timeouts: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const r: SpawnSyncReturns<string> = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: options.timeoutMs,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (!timedOut(r)) return { status: r.status, output, timeouts };
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    timeouts.push(`${options.label}: attempt ${attempt} of ${options.attempts} killed after ${seconds} s without finishing (bound ${options.timeoutMs / 1000} s)`);
    if (attempt >= options.attempts) return { status: null, output, timeouts };
  }
}

function timedOut(r: SpawnSyncReturns<string>): boolean {
  return (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
}
