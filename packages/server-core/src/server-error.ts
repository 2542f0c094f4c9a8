import { CacheError } from "@xdskit/cache-core";
import { GrpcStatus, type GrpcStatusCode, isGrpcStatusCode } from "./grpc-status.js";

/**
 * What went wrong on a stream or fetch, as a stable string:
 * - `missing-node`: the first request of a stream carries no node.
 * - `missing-type-url`: an ADS request names no type URL.
 * - `type-url-mismatch`: a per-type service got a request for another type.
 * - `invalid-request`: a request is malformed in another way (the message names the field).
 * - `refused`: a callback refused the stream or request.
 * - `identity-mismatch`: the node does not match the client certificate's identity.
 * - `limit-exceeded`: a stream went over a server limit (streams, request rate).
 * - `not-modified`: a fetch found the client already current.
 * - `shutdown`: the server is closing; clients should reconnect elsewhere.
 * - `deadline-exceeded`: the client's deadline (`grpc-timeout`) passed.
 * - `internal`: a bug or an unexpected failure.
 */
export type ServerErrorCode =
  | "missing-node"
  | "missing-type-url"
  | "type-url-mismatch"
  | "invalid-request"
  | "refused"
  | "identity-mismatch"
  | "limit-exceeded"
  | "not-modified"
  | "shutdown"
  | "deadline-exceeded"
  | "internal";

const statusOfCode: Readonly<Record<ServerErrorCode, GrpcStatusCode>> = {
  "missing-node": GrpcStatus.INVALID_ARGUMENT,
  "missing-type-url": GrpcStatus.INVALID_ARGUMENT,
  "type-url-mismatch": GrpcStatus.INVALID_ARGUMENT,
  "invalid-request": GrpcStatus.INVALID_ARGUMENT,
  refused: GrpcStatus.PERMISSION_DENIED,
  "identity-mismatch": GrpcStatus.PERMISSION_DENIED,
  "limit-exceeded": GrpcStatus.RESOURCE_EXHAUSTED,
  "not-modified": GrpcStatus.FAILED_PRECONDITION,
  shutdown: GrpcStatus.UNAVAILABLE,
  "deadline-exceeded": GrpcStatus.DEADLINE_EXCEEDED,
  internal: GrpcStatus.INTERNAL,
};

/** Details of a {@link @xdskit/server-core#ServerError}. */
export interface ServerErrorDetails {
  /** The type URL involved, when there is one. */
  readonly typeUrl?: string;
  /** The gRPC status to answer with. Default: derived from the code. */
  readonly status?: GrpcStatusCode;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** The one error type of the xdskit servers. Crosses the wire as a gRPC status (see `statusOf` of `@xdskit/server-core/internal`). */
export class ServerError extends Error {
  /** The class name, for logs. */
  override readonly name = "ServerError";
  /** What went wrong, as a stable string (see {@link ServerErrorCode}). */
  readonly code: ServerErrorCode;
  /** The type URL involved, when there is one. */
  readonly typeUrl: string | undefined;
  /** The gRPC status code this error is answered with. */
  readonly status: GrpcStatusCode;

  constructor(code: ServerErrorCode, message: string, details: ServerErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.typeUrl = details.typeUrl;
    this.status = details.status ?? statusOfCode[code];
  }
}

/** A gRPC status and message for an error that is about to cross the wire. */
export interface WireStatus {
  /** The gRPC status code. */
  readonly status: GrpcStatusCode;
  /** The message the client sees. */
  readonly message: string;
}

/**
 * Maps any error to the status a client sees: {@link @xdskit/server-core#ServerError} keeps its
 * status; a `CacheError` for bad input (`unknown-type`, `missing-node`) is
 * INVALID_ARGUMENT and any other cache failure INTERNAL; an error carrying a
 * numeric gRPC `code` (such as Connect's `ConnectError`, thrown by a
 * callback) keeps it; anything else is INTERNAL.
 */
export function statusOf(error: unknown): WireStatus {
  if (error instanceof ServerError) return { status: error.status, message: error.message };
  if (error instanceof CacheError) {
    const input = error.code === "unknown-type" || error.code === "missing-node";
    return { status: input ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL, message: error.message };
  }
  if (error instanceof Error) {
    const code: unknown = (error as { code?: unknown }).code;
    const raw: unknown = (error as { rawMessage?: unknown }).rawMessage;
    const message = typeof raw === "string" ? raw : error.message;
    if (isGrpcStatusCode(code)) return { status: code, message };
    return { status: GrpcStatus.INTERNAL, message };
  }
  return { status: GrpcStatus.INTERNAL, message: String(error) };
}
