import type { ConfigWatcher } from "@xdskit/cache-core";
import { createConnectXdsServer } from "./create-xds-server.js";
import type { XdsServer, XdsServerOptions } from "./xds-server-options.js";

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
  return createConnectXdsServer(cache, options);
}
