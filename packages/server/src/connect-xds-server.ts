import type { ConnectRouter } from "@connectrpc/connect";
import type { ConfigWatcher } from "@xdskit/cache-core";
import { peerContextValues } from "./connect-peer.js";
import { registerConnectRoutes } from "./connect-routes.js";
import { assembleXdsServer, type ConnectSupport, type ConnectXdsServer, type ConnectXdsServerOptions } from "./create-xds-server.js";

const support: ConnectSupport = { registerConnectRoutes, peerContextValues };

/**
 * `createXdsServer` with Connect's types: takes the Connect router's options
 * (`router`) and returns a server that also registers its methods on a
 * Connect router of yours (`routes`). The same server; only this entry point
 * (`@xdskit/server/connect`) loads Connect's declarations, which need the DOM
 * lib (`lib: ["DOM"]`) under `skipLibCheck: false`.
 */
export function createConnectXdsServer(cache: ConfigWatcher, options: ConnectXdsServerOptions = {}): ConnectXdsServer {
  const { server, protocols } = assembleXdsServer(cache, options, () => Promise.resolve(support));
  return { ...server, routes: (router: ConnectRouter): void => registerConnectRoutes(router, protocols) };
}
