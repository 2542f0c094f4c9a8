export { createXdsServer, type XdsServer, type XdsServerOptions } from "./create-xds-server.js";
export type { ListenOptions, TlsOptions, XdsListener } from "./listen-xds.js";
export { peerOf } from "./peer-info.js";
export type { RestOptions } from "./rest-gateway.js";
