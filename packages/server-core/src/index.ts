export type { Callbacks, FetchInfo, NackInfo, PeerInfo, StreamInfo } from "./callbacks.js";
export { observe } from "./call-hook.js";
export { classifyRequest, type RequestKind } from "./classify-request.js";
export { durationBytes } from "./duration-bytes.js";
export { GrpcStatus, type GrpcStatusCode, isGrpcStatusCode } from "./grpc-status.js";
export {
  ServerError,
  statusOf,
  type ServerErrorCode,
  type ServerErrorDetails,
  type WireStatus,
} from "./server-error.js";
export {
  certificateIdentities,
  defaultIdentityMatch,
  type IdentityBinding,
  type ResolvedIdentityBinding,
  resolveIdentityBinding,
} from "./node-identity.js";
export {
  DEFAULT_LEGACY_WILDCARD_TYPES,
  DEFAULT_LIMITS,
  resolveServerOptions,
  type ResolvedServerOptions,
  type ServerOptions,
  type StreamLimits,
} from "./server-options.js";
export { ResponseQueue } from "./response-queue.js";
export { runStream, type StreamProtocol } from "./run-stream.js";
export { nextStreamId } from "./stream-id.js";
export { StreamSlots } from "./stream-slots.js";
export { StreamState, type StreamInit } from "./stream-state.js";
export { TokenBucket } from "./token-bucket.js";
export { TypeState } from "./type-state.js";
export { varintSize, WireWriter, writeVarint } from "./wire-writer.js";
