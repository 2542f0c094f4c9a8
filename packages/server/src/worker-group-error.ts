/**
 * What went wrong with a group of worker processes:
 * - `not-primary`: `listenWorkers` was called in a cluster worker.
 * - `not-worker`: `followPrimary` was called in a process `listenWorkers` did not fork.
 * - `invalid-options`: an option is out of range or missing (`field` names it).
 * - `start-failed`: a worker exited, or did not listen in time, before the group was up.
 * - `feed-mismatch`: a worker follows a feed the primary does not have, or not one it has.
 */
export type WorkerGroupErrorCode = "not-primary" | "not-worker" | "invalid-options" | "start-failed" | "feed-mismatch";

/** Details of a {@link WorkerGroupError}. */
export interface WorkerGroupErrorDetails {
  /** The option at fault, when one is. */
  readonly field?: string | undefined;
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

  constructor(code: WorkerGroupErrorCode, message: string, details: WorkerGroupErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
  }
}
