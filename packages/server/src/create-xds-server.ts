import type { ConnectRouter, ConnectRouterOptions } from "@connectrpc/connect";
import { type ConfigWatcher, type Logger, silentLogger } from "@xdskit/cache-core";
import { createServerContext } from "@xdskit/server-core";
import { contextState } from "@xdskit/server-core/internal";
import { createDeltaProtocol } from "@xdskit/server-delta";
import { createSotwProtocol } from "@xdskit/server-sotw";
import type { peerContextValues } from "./connect-peer.js";
import type { registerConnectRoutes } from "./connect-routes.js";
import { createFastPathHandler } from "./fast-path.js";
import { addGrpcJsServices } from "./grpc-js-services.js";
import { type ConnectionGuardOptions, DEFAULT_CONNECTION_GUARDS } from "./connection-guard.js";
import { listenXds, type XdsListener } from "./listen-xds.js";
import type { NodeHandler } from "./node-handler.js";
import { createRestGateway } from "./rest-gateway.js";
import { StreamGuard } from "./stream-guard.js";
import type { XdsProtocols } from "./xds-protocols.js";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_CONNECTION,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  type XdsServer,
  type XdsServerOptions,
} from "./xds-server-options.js";

/**
 * Options of {@link createConnectXdsServer}: those of `createXdsServer`, and
 * the Connect router's.
 */
export interface ConnectXdsServerOptions extends XdsServerOptions {
  /** Options of the Connect router (protocols, read limits, interceptors, …). Default: Connect's. */
  readonly router?: ConnectRouterOptions | undefined;
}

/** An {@link @xdskit/server#XdsServer} that also registers its methods on a Connect router of yours. */
export interface ConnectXdsServer extends XdsServer {
  /** Registers every enabled gRPC/Connect method on a router (for your own server, or a `connectNodeAdapter`). */
  routes(router: ConnectRouter): void;
}

/** What the Connect side needs of `@connectrpc/connect`: loaded with it, when first needed. */
export interface ConnectSupport {
  readonly registerConnectRoutes: typeof registerConnectRoutes;
  readonly peerContextValues: typeof peerContextValues;
}

/** A server and its protocols, for `createConnectXdsServer` to add its routes to. */
export interface AssembledXdsServer {
  readonly server: XdsServer;
  readonly protocols: XdsProtocols;
}

/**
 * The server behind `createXdsServer` and `createConnectXdsServer`. The
 * Connect routes (and with them `@connectrpc/connect`, the service
 * descriptors and CSDS's types) come from `connect`, called on the first
 * request the fast path and REST leave to Connect: a server's start-up loads
 * neither.
 */
export function assembleXdsServer(
  cache: ConfigWatcher,
  options: ConnectXdsServerOptions,
  connect: () => Promise<ConnectSupport>,
): AssembledXdsServer {
  const context = createServerContext(options);
  const sotw = createSotwProtocol(cache, context);
  const delta = createDeltaProtocol(cache, context);
  const guard = new StreamGuard(options);
  const protocols: XdsProtocols = {
    sotw,
    delta,
    openSotw: (init) => guard.wrap(sotw.openStream(init), init),
    openDelta: (init) => guard.wrap(delta.openStream(init), init),
    serveSotw: options.sotw ?? true,
    serveDelta: options.delta ?? true,
    context: contextState(context),
    serveCsds: options.csds ?? false,
  };
  const logger = options.logger ?? silentLogger;
  const readMaxBytes = options.router?.readMaxBytes ?? options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const connectHandler = lazyConnectHandler(async () => {
    const support = await connect();
    const routes = (router: ConnectRouter): void => support.registerConnectRoutes(router, protocols);
    return { ...options.router, readMaxBytes, routes, contextValues: support.peerContextValues };
  }, logger);
  const rest = options.rest ?? true;
  const restGateway =
    rest !== false && protocols.sotw.fetches ? createRestGateway(protocols.sotw, logger, rest === true ? {} : rest) : undefined;
  const restHandler = restGateway?.handler;
  const restPreload = typeof rest === "object" ? (rest.preload ?? "first-request") : "first-request";
  const interceptors = options.router?.interceptors ?? [];
  const fastHandler =
    (options.fastPath ?? interceptors.length === 0) ? createFastPathHandler(protocols, {
          readMaxBytes,
          writeStallTimeoutMs: options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS,
          logger,
        }) : undefined;
  const handler: NodeHandler = (request, response) => {
    if (fastHandler?.(request, response) === true) return;
    if (restHandler?.(request, response) === true) return;
    connectHandler(request, response);
  };
  const listeners = new Set<XdsListener>();
  const server: XdsServer = {
    handler,
    closing: context.closing,
    context,
    async listen(listenOptions = {}) {
      // `rest.preload`: REST's JSON registry (the whole Envoy API: ~0.9 s, ~25 MB)
      // loads as the port binds, waited for ("listen": a REST proxy's first
      // poll never waits; Envoy's fetch timeout is 1 s) or not ("background");
      // by default REST requests load the types they need, by package.
      const registryLoad = restPreload === "first-request" ? undefined : restGateway?.preload();
      if (restPreload !== "listen") registryLoad?.catch((error: unknown) => logger.error("xds REST registry failed to load", { error }));
      const [listener] = await Promise.all([listenXds(handler, {
        closeTimeoutMs: options.closeTimeoutMs ?? 2000,
        maxStreamsPerConnection: options.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
        streamResetBurst: options.streamResetBurst,
        streamResetRate: options.streamResetRate,
        ...connectionGuards(options),
        logger,
        ...withoutUndefined(listenOptions),
      }), restPreload === "listen" ? registryLoad : undefined]);
      listeners.add(listener);
      listener.closed.then(() => listeners.delete(listener));
      return listener;
    },
    addToGrpcServer: (server) => addGrpcJsServices(server, protocols, readMaxBytes),
    async close() {
      context.shutdown();
      await Promise.all([...listeners].map((listener) => listener.close()));
    },
  };
  return { server, protocols };
}

/**
 * The Connect handler, loaded on the first request that needs it (Connect,
 * gRPC-Web, compressed gRPC, Fetch): `@connectrpc/connect-node` and what it
 * loads (node's HTTP/1.1 client, undici), Connect itself and the routes'
 * descriptors are not needed by the fast path, and loading them at startup
 * delays the moment a restarted server listens.
 */
function lazyConnectHandler(adapterOptions: () => Promise<ConnectNodeAdapterOptions>, logger: Logger): NodeHandler {
  let handler: NodeHandler | undefined;
  let loading: Promise<NodeHandler> | undefined;
  return (request, response) => {
    if (handler !== undefined) {
      handler(request, response);
      return;
    }
    loading ??= Promise.all([import("@connectrpc/connect-node"), adapterOptions()]).then(([module, loaded]) => {
      handler = module.connectNodeAdapter(loaded);
      return handler;
    });
    loading.then(
      (loaded) => loaded(request, response),
      (error: unknown) => {
        logger.error("xds: loading @connectrpc/connect-node failed", { error });
        if (!response.headersSent) response.writeHead(500);
        response.end();
      },
    );
  };
}

type ConnectNodeAdapterOptions = Parameters<typeof import("@connectrpc/connect-node").connectNodeAdapter>[0];

// The connection guards set on the server: `listen`'s defaults.
function connectionGuards(options: XdsServerOptions): ConnectionGuardOptions {
  const out: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_CONNECTION_GUARDS) as (keyof ConnectionGuardOptions)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

// `listen({ port: undefined })` keeps the server's default rather than overriding it.
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
