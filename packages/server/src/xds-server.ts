import type { ConfigWatcher } from "@xdskit/cache-core";
import { assembleXdsServer, type ConnectSupport } from "./create-xds-server.js";
import type { XdsServer, XdsServerOptions } from "./xds-server-options.js";

// Connect, its routes and the descriptors they need load on the first request
// the fast path and REST leave to them, not with the server.
async function loadConnect(): Promise<ConnectSupport> {
  const [{ registerConnectRoutes }, { peerContextValues }] = await Promise.all([import("./connect-routes.js"), import("./connect-peer.js")]);
  return { registerConnectRoutes, peerContextValues };
}

/**
 * Serves the SotW and delta protocols, Fetch and REST over one cache, which
 * they see only through `ConfigWatcher` (and `ConfigFetcher` for Fetch and
 * REST), on every transport: the gRPC fast path on node:http2, Connect
 * routes, REST/JSON, and a grpc-js server. All share one server context:
 * options, callbacks, `maxStreams`, and shutdown. For the Connect router's
 * options or your own Connect router, use `createConnectXdsServer` of
 * `@xdskit/server/connect`.
 */
export function createXdsServer(cache: ConfigWatcher, options: XdsServerOptions = {}): XdsServer {
  return assembleXdsServer(cache, options, loadConnect).server;
}
