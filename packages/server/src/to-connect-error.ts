import { Code, ConnectError } from "@connectrpc/connect";
import { ServerError } from "@xdskit/server-core";
import { statusOf } from "@xdskit/server-core/internal";

/** The `ConnectError` a client sees for any error: status and message from `statusOf`, the error kept as cause. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const { status, message } = statusOf(error);
  // gRPC status numbers are Connect Code values.
  return new ConnectError(message, status as number as Code, undefined, undefined, error);
}

/**
 * The error to end a stream with when reading its requests failed: a
 * request that does not decode is the client's fault (INVALID_ARGUMENT
 * naming the message), not an INTERNAL error as Connect reports it.
 */
export function requestReadError(error: unknown, messageName: string): unknown {
  if (error instanceof ConnectError && error.code === Code.Internal && error.rawMessage.startsWith("parse ")) {
    return new ServerError("invalid-request", `malformed ${messageName}: ${error.rawMessage}`, { cause: error });
  }
  return error;
}
