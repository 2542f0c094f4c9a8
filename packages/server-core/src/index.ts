// The public API of @xdskit/server-core: what users of an xDS server need.
// What only the protocol and transport packages need is in ./internal.ts
// (`@xdskit/server-core/internal`, not covered by semver).
export type { Callbacks, FetchInfo, NackInfo, PeerInfo, StreamInfo } from "./callbacks.js";
export { GrpcStatus } from "./grpc-status.js";
export type { IdentityBinding } from "./node-identity.js";
export { createServerContext, type ServerContext } from "./server-context.js";
export { ServerError, type ServerErrorCode } from "./server-error.js";
export {
  DEFAULT_FIRST_RESPONSE_WARN_MS,
  DEFAULT_LEGACY_WILDCARD_TYPES,
  DEFAULT_LIMITS,
  type ServerOptions,
} from "./server-options.js";
