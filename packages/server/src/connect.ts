// `@xdskit/server/connect`: what takes or returns Connect's types. Kept out of
// the main entry because Connect's declarations need the DOM lib
// (`HeadersInit`): a project importing this entry compiles with `lib: ["DOM"]`
// or `skipLibCheck: true`; the main entry needs neither.
export type { ConnectXdsServer, ConnectXdsServerOptions } from "./create-xds-server.js";
export { createConnectXdsServer } from "./connect-xds-server.js";
export { peerOf } from "./connect-peer.js";
