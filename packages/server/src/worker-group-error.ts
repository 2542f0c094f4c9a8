/**
 * What went wrong with a group of worker processes:
 * - `not-primary`: `listenWorkers` was called in a cluster worker.
 * - `not-worker`: `followPrimary` was called in a process `listenWorkers` did not fork.
 * - `invalid-options`: an option is out of range or missing (`field` names it).
 * - `start-failed`: a worker exited, or did not listen in time, before the group was up.
 * - `feed-mismatch`: a worker follows a feed the primary does not have, or not one it has.
 * - `worker-lagging`: a worker did not read the changes forwarded to it: more than
 *   `maxPendingBytes` waited in the primary, so it was replaced (`pid` names it).
 */
export type WorkerGroupErrorCode = "not-primary" | "not-worker" | "invalid-options" | "start-failed" | "feed-mismatch" | "worker-lagging";

/** Details of a {@link WorkerGroupError}. */
export interface WorkerGroupErrorDetails {
  /** The option at fault, when one is. */
  readonly field?: string | undefined;
  /** The process id of the worker at fault, when one is. */
  readonly pid?: number | undefined;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** The error of `listenWorkers` and `followPrimary`, with a stable `code`. */
export class WorkerGroupError extends Error {
  /** The class name, for logs. */
  override readonly name = "WorkerGroupError";
  /** What went wrong (see {@link WorkerGroupErrorCode}). */
  readonly code: WorkerGroupErrorCode;
  /** The option at fault, when one is. */
  readonly field: string | undefined;
  /** The process id of the worker at fault, when one is. */
  readonly pid: number | undefined;

  constructor(code: WorkerGroupErrorCode, message: string, details: WorkerGroupErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.pid = details.pid;
  }
}
