import type { TypeStreamState } from "./type-stream-state.js";

/**
 * How a request relates to what the stream sent:
 * - `first`: the first request of its type on the stream (a new subscription).
 * - `update`: no response of the type was sent yet; a request that changes or repeats the subscription.
 * - `ack`: answers the latest response and accepts it.
 * - `nack`: answers the latest response and rejects it (`error_detail` set).
 * - `stale`: answers an older response; SotW servers ignore it, a newer response is on its way.
 */
export type RequestKind = "first" | "update" | "ack" | "nack" | "stale";

/** Classifies a request of one type by its `response_nonce` and `error_detail`. */
export function classifyRequest(
  state: TypeStreamState | undefined,
  request: { readonly responseNonce: string; readonly errorDetail?: unknown },
): RequestKind {
  if (state === undefined) return "first";
  if (state.lastNonce === undefined) return "update";
  if (request.responseNonce !== state.lastNonce) return "stale";
  return request.errorDetail === undefined ? "ack" : "nack";
}
