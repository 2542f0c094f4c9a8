export { createXdsServer } from "./xds-server.js";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  type XdsServer,
  type XdsServerOptions,
} from "./xds-server-options.js";
export { type ConnectionGuardOptions, DEFAULT_CONNECTION_GUARDS } from "./connection-guard.js";
export type { GrpcJsServerLike } from "./grpc-js-services.js";
export { DEFAULT_MAX_HELD_CONNECTIONS, type HeldPort, type HoldPortOptions, holdPort } from "./hold-port.js";
export { DEFAULT_LISTEN_BACKLOG } from "./listen-backlog.js";
export {
  DEFAULT_STREAM_RESET_BURST,
  DEFAULT_STREAM_RESET_RATE,
  type ListenOptions,
  type XdsListener,
} from "./listen-xds.js";
export type { NodeHandler, NodeServerRequest, NodeServerResponse } from "./node-handler.js";
export {
  type AckStatus,
  type ClientStatusOptions,
  type NackStatus,
  type NodeSummary,
  type ResourceState,
  type ResourceStatus,
  type SentStatus,
  STATUS_LIMITS,
  type StreamStatus,
  type TypeState,
  type TypeStatus,
} from "@xdskit/server-core/internal";
export type { RestOptions } from "./rest-gateway.js";
export { DEFAULT_STREAM_GUARDS, type StreamGuardOptions } from "./stream-guard.js";
export type { TlsOptions } from "./tls-material.js";
export { followPrimary, type FollowedPrimary, type FollowerFactories, type FollowPrimaryOptions } from "./follow-primary.js";
export { listenWorkers, type ListenWorkersOptions, type WorkerEvent, type WorkerGroup } from "./listen-workers.js";
export { WorkerGroupError, type WorkerGroupErrorCode, type WorkerGroupErrorDetails } from "./worker-group-error.js";
