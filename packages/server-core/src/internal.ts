// @xdskit/server-core/internal: what the protocol packages (@xdskit/server-sotw,
// @xdskit/server-delta) and the transports (@xdskit/server) share. NOT covered by
// semver: it changes with them, in any release.
export { observe } from "./call-hook.js";
export { classifyRequest, type RequestKind } from "./classify-request.js";
export { durationBytes, splitDuration } from "./duration-bytes.js";
export { type GrpcStatusCode, isGrpcStatusCode } from "./grpc-status.js";
export {
  certificateIdentities,
  defaultIdentityMatch,
  type ResolvedIdentityBinding,
  resolveIdentityBinding,
} from "./node-identity.js";
export { isPromise, joinChunks, type MaybePromise, nextByPolling, type ProtocolStream, type ResponseChunks, type StreamInit } from "./protocol-stream.js";
export {
  encodeDeltaResponse,
  encodeSotwResponse,
  withoutResourceErrors,
} from "./response-encoder.js";
export { deltaResponseMessage, sotwResponseMessage } from "./response-message.js";
export { type ResourceListIndex, resourceListIndex } from "./resource-list.js";
export { ResponseQueue } from "./response-queue.js";
export { ResponseTurns } from "./response-turns.js";
export { contextState, ServerContextState, type TrackedStream } from "./server-context.js";
export { type ServerErrorDetails, statusOf, type WireStatus } from "./server-error.js";
export { type ResolvedServerOptions, resolveServerOptions, type StreamLimits } from "./server-options.js";
export { nextStreamId } from "./stream-id.js";
export { StreamLifecycle } from "./stream-lifecycle.js";
export { nackLogFields, StreamState, type StreamStateInit } from "./stream-state.js";
export { TokenBucket } from "./token-bucket.js";
export { TypeStreamState } from "./type-stream-state.js";
export { allocateUnsafe, utf8Size, varintSize, WireWriter, writeVarint } from "./wire-writer.js";
export {
  type AckStatus,
  type ClientStatusOptions,
  type NackStatus,
  type NodeSummary,
  type ResourceState,
  type ResourceStatus,
  type SentStatus,
  type StreamStatus,
  streamStatus,
  type TypeState,
  typeStateOf,
  type TypeStatus,
} from "./client-status.js";
export { METER_NAME, type RejectionReason, ServerTelemetry, TypeCounters, typeAttribute } from "./server-telemetry.js";
export { capText, STATUS_LIMITS } from "./status-limits.js";
export type { NackRecord } from "./type-stream-state.js";
