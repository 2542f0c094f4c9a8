import type { ConnectRouter, ConnectRouterOptions } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type ConfigWatcher, silentLogger } from "@xdskit/cache-core";
import { createServerContext, type ServerContext, type ServerOptions } from "@xdskit/server-core";
import { contextState } from "@xdskit/server-core/internal";
import { createDeltaProtocol } from "@xdskit/server-delta";
import { createSotwProtocol } from "@xdskit/server-sotw";
import { registerConnectRoutes } from "./connect-routes.js";
import { createFastPathHandler } from "./fast-path.js";
import { addGrpcJsServices, type GrpcJsServerLike } from "./grpc-js-services.js";
import { type ListenOptions, listenXds, type XdsListener } from "./listen-xds.js";
import type { NodeHandler } from "./node-handler.js";
import { peerContextValues } from "./peer-info.js";
import { createRestGateway, type RestOptions } from "./rest-gateway.js";
import type { XdsProtocols } from "./xds-protocols.js";

/** Options of {@link createXdsServer}. Every property may be left out or `undefined`. */
export interface XdsServerOptions extends ServerOptions {
  /**
   * The largest request message accepted, in bytes; a larger one ends its
   * stream with RESOURCE_EXHAUSTED. `router.readMaxBytes`, when set, wins.
   * Default: 4 MiB.
   */
  readonly maxMessageBytes?: number | undefined;
  /**
   * The HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` of `listen`'s connections.
   * Compliant clients (Envoy, grpc-js, Connect on node) queue streams over
   * it until one ends; a client that ignores it gets its stream reset with
   * REFUSED_STREAM, which gRPC clients see as UNAVAILABLE. Default: 1000
   * (a proxy opens one ADS stream or a few per-type ones; a multiplexing
   * client may need more; one connection cannot take over a tenth of `maxStreams`).
   */
  readonly maxStreamsPerConnection?: number | undefined;
  /**
   * `listen`'s HTTP/2 rapid-reset guard: client stream resets a connection
   * may send at once before it is closed. Default: 1000 (see `ListenOptions`).
   */
  readonly streamResetBurst?: number | undefined;
  /** `listen`'s rapid-reset guard: client stream resets per second after the burst. Default: 33. */
  readonly streamResetRate?: number | undefined;
  /** Serve the SotW methods (ADS, Stream*, Fetch*). Default: `true`. */
  readonly sotw?: boolean | undefined;
  /** Serve the delta methods (delta ADS, Delta*, VHDS, LEDS). Default: `true`. */
  readonly delta?: boolean | undefined;
  /**
   * Serve the client status discovery service (CSDS,
   * `envoy.service.status.v3.ClientStatusDiscoveryService`) on Connect
   * routes, `handler`, `listen` and `addToGrpcServer`: what every connected
   * node was sent, ACKed and NACKed. It tells anyone who can reach the port
   * about every node (resource contents included, secrets excepted): serve it
   * where only operators reach. Default: `false`.
   */
  readonly csds?: boolean | undefined;
  /**
   * Serve the REST/JSON gateway (`POST /v3/discovery:<type>`) from `handler`
   * and `listen`; needs a cache that is also a `ConfigFetcher`. `false` turns
   * it off. Default: on, with the defaults of {@link RestOptions}.
   */
  readonly rest?: boolean | RestOptions | undefined;
  /** Options of the Connect router (protocols, read limits, …). Default: Connect's. */
  readonly router?: ConnectRouterOptions | undefined;
  /** How long `close()` waits for connections to finish before destroying them, in ms. Default: 2000. */
  readonly closeTimeoutMs?: number | undefined;
  /**
   * Serve the streaming xDS methods (ADS, delta ADS, Stream*, Delta*) over
   * gRPC on HTTP/2 straight on node:http2 from `handler` and `listen`,
   * writing pre-encoded responses, rather than through Connect. It takes
   * uncompressed gRPC (protobuf) requests only; Connect, gRPC-Web,
   * compressed gRPC, Fetch and REST always go through Connect or the REST
   * gateway. Connect interceptors do not run on it. Default: `true`, unless
   * `router.interceptors` is set.
   */
  readonly fastPath?: boolean | undefined;
}

/** Default of {@link XdsServerOptions.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Default of {@link XdsServerOptions.maxStreamsPerConnection}. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 1000;

/** Every xDS service over one cache, on every transport. */
export interface XdsServer {
  /** Registers every enabled gRPC/Connect method on a router (for your own server, or a `connectNodeAdapter`). */
  routes(router: ConnectRouter): void;
  /** A node `http`/`http2` request handler: the fast path, the REST gateway, then the Connect routes. */
  readonly handler: NodeHandler;
  /**
   * Starts a node HTTP/2 server (cleartext or TLS, HTTP/1.1 allowed for REST)
   * serving {@link handler}. With REST on and no `rest.registry`, it resolves
   * once the REST gateway's JSON registry is loaded as well.
   */
  listen(options?: ListenOptions): Promise<XdsListener>;
  /**
   * Adds every enabled xDS service (ADS, delta ADS, the per-type Stream*,
   * Delta* and Fetch* methods) to a `@grpc/grpc-js` `Server`, next to your
   * own services. Responses are written as the bytes encoded once for every
   * transport; `maxMessageBytes` and every other limit apply as on `listen`
   * (grpc-js's own `grpc.max_receive_message_length` applies first). Call
   * it before the grpc-js server starts.
   */
  addToGrpcServer(server: GrpcJsServerLike): void;
  /** Ends every stream with UNAVAILABLE (proxies reconnect elsewhere), on every transport, and closes every listener. */
  close(): Promise<void>;
  /** Aborted once `close()` was called. */
  readonly closing: AbortSignal;
  /**
   * The server context its protocols share: `openStreams`, and the client
   * status of every stream (`clientStatus()`, `statusRevision`), which CSDS
   * and `@xdskit/admin` read.
   */
  readonly context: ServerContext;
}

/**
 * Serves the SotW and delta protocols, Fetch and REST over one cache, which
 * they see only through `ConfigWatcher` (and `ConfigFetcher` for Fetch and
 * REST), on every transport: the gRPC fast path on node:http2, Connect
 * routes, REST/JSON, and a grpc-js server. All share one server context:
 * options, callbacks, `maxStreams`, and shutdown.
 */
export function createXdsServer(cache: ConfigWatcher, options: XdsServerOptions = {}): XdsServer {
  const context = createServerContext(options);
  const protocols: XdsProtocols = {
    sotw: createSotwProtocol(cache, context),
    delta: createDeltaProtocol(cache, context),
    serveSotw: options.sotw ?? true,
    serveDelta: options.delta ?? true,
    context: contextState(context),
    serveCsds: options.csds ?? false,
  };
  const logger = options.logger ?? silentLogger;
  const readMaxBytes = options.router?.readMaxBytes ?? options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const routes = (router: ConnectRouter): void => registerConnectRoutes(router, protocols);
  const connectHandler = connectNodeAdapter({ ...options.router, readMaxBytes, routes, contextValues: peerContextValues });
  const rest = options.rest ?? true;
  const restGateway =
    rest !== false && protocols.sotw.fetches ? createRestGateway(protocols.sotw, logger, rest === true ? {} : rest) : undefined;
  const restHandler = restGateway?.handler;
  const interceptors = options.router?.interceptors ?? [];
  const fastHandler =
    (options.fastPath ?? interceptors.length === 0) ? createFastPathHandler(protocols, { readMaxBytes, logger }) : undefined;
  const handler: NodeHandler = (request, response) => {
    if (fastHandler?.(request, response) === true) return;
    if (restHandler?.(request, response) === true) return;
    connectHandler(request, response);
  };
  const listeners = new Set<XdsListener>();
  return {
    routes,
    handler,
    closing: context.closing,
    context,
    async listen(listenOptions = {}) {
      // REST's JSON registry loads while the port binds: a REST proxy's first
      // poll must not wait for it (Envoy's fetch timeout is 1 s).
      const [listener] = await Promise.all([listenXds(handler, {
        closeTimeoutMs: options.closeTimeoutMs ?? 2000,
        maxStreamsPerConnection: options.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
        streamResetBurst: options.streamResetBurst,
        streamResetRate: options.streamResetRate,
        logger,
        ...withoutUndefined(listenOptions),
      }), restGateway?.preload()]);
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
}

// `listen({ port: undefined })` keeps the server's default rather than overriding it.
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
