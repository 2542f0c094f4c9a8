/**
 * What went wrong: `closed` (the client was closed), `timeout` (a wait ran
 * out), `stream` (the stream failed: see `cause`), `usage` (a call that makes
 * no sense in the current state).
 */
export type ClientErrorCode = "closed" | "timeout" | "stream" | "usage";

/** Errors of the xDS client; `cause` holds the transport's error when there is one. */
export class ClientError extends Error {
  /** The class name, for logs. */
  override readonly name = "ClientError";
  constructor(
    /** What went wrong, as a stable string. */
    readonly code: ClientErrorCode,
    message: string,
    /** The transport's error, when there is one. */
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
