export type ClientErrorCode = "closed" | "timeout" | "stream" | "usage";

/** Errors of the xDS client; `cause` holds the transport's error when there is one. */
export class ClientError extends Error {
  override readonly name = "ClientError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
