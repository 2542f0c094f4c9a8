export type SyncErrorCode = "command" | "checksum" | "source" | "incomplete" | "mismatch";

/** Every failure of the sync job: `code` says which step, the message names the file or artifact. */
export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
