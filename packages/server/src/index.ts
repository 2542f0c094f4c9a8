export {
  createXdsServer,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  type XdsServer,
  type XdsServerOptions,
} from "./create-xds-server.js";
export type { ListenOptions, TlsOptions, XdsListener } from "./listen-xds.js";
export { peerOf } from "./peer-info.js";
export type { RestOptions } from "./rest-gateway.js";
