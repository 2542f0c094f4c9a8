import { setMaxListeners } from "node:events";
import type { ConnectRouter, ConnectRouterOptions } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConfigFetcher, ConfigWatcher } from "@xdskit/cache-core";
import { registerDeltaServices } from "@xdskit/server-delta";
import { resolveServerOptions, type ServerOptions, StreamSlots, DEFAULT_LIMITS } from "@xdskit/server-core";
import { registerSotwServices } from "@xdskit/server-sotw";
import { createFastPathHandler } from "./fast-path.js";
import type { NodeHandler } from "./node-handler.js";
import { listenXds, type ListenOptions, type XdsListener } from "./listen-xds.js";
import { peerContextValues, peerOf } from "./peer-info.js";
import { createRestHandler, type RestOptions } from "./rest-gateway.js";

/** Options of {@link createXdsServer}. */
export interface XdsServerOptions extends Omit<ServerOptions, "shutdownSignal" | "streamSlots"> {
  /**
   * The largest request message accepted, in bytes; a larger one ends its
   * stream with RESOURCE_EXHAUSTED. `router.readMaxBytes`, when set, wins.
   * Default: 4 MiB.
   */
  readonly maxMessageBytes?: number;
  /**
   * The HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` of `listen`'s connections.
   * Compliant clients (Envoy, grpc-js, Connect on node) queue streams over
   * it until one ends; a client that ignores it gets its stream reset with
   * REFUSED_STREAM, which gRPC clients see as UNAVAILABLE. Default: 1000
   * (a proxy opens one ADS stream or a few per-type ones; a multiplexing
   * client may need more; one connection cannot take over a tenth of `maxStreams`).
   */
  readonly maxStreamsPerConnection?: number;
  /** Serve the SotW methods (ADS, Stream*, Fetch*). Default: `true`. */
  readonly sotw?: boolean;
  /** Serve the delta methods (delta ADS, Delta*, VHDS, LEDS). Default: `true`. */
  readonly delta?: boolean;
  /**
   * Serve the REST/JSON gateway (`POST /v3/discovery:<type>`) from `handler`
   * and `listen`; needs a cache that is also a `ConfigFetcher`. `false` turns
   * it off. Default: on, with the defaults of {@link RestOptions}.
   */
  readonly rest?: boolean | RestOptions;
  /** Options of the Connect router (protocols, read limits, …). Default: Connect's. */
  readonly router?: ConnectRouterOptions;
  /** How long `close()` waits for connections to finish before destroying them, in ms. Default: 2000. */
  readonly closeTimeoutMs?: number;
  /**
   * Serve the streaming xDS methods (ADS, delta ADS, Stream*, Delta*) over
   * gRPC on HTTP/2 straight on node:http2 from `handler` and `listen`,
   * writing pre-encoded responses, rather than through Connect. It takes
   * uncompressed gRPC (protobuf) requests only; Connect, gRPC-Web,
   * compressed gRPC, Fetch and REST always go through Connect or the REST
   * gateway. Connect interceptors do not run on it. Default: `true`, unless
   * `router.interceptors` is set.
   */
  readonly fastPath?: boolean;
}

/** Default of {@link XdsServerOptions.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Default of {@link XdsServerOptions.maxStreamsPerConnection}. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 1000;

/** Every xDS service over one cache. */
export interface XdsServer {
  /** Registers every enabled gRPC/Connect method on a router (for your own server, or a `connectNodeAdapter`). */
  routes(router: ConnectRouter): void;
  /** A node `http`/`http2` request handler: the REST gateway, then the Connect routes. */
  readonly handler: NodeHandler;
  /** Starts a node HTTP/2 server (cleartext or TLS, HTTP/1.1 allowed for REST) serving {@link handler}. */
  listen(options?: ListenOptions): Promise<XdsListener>;
  /** Ends every stream with UNAVAILABLE (proxies reconnect elsewhere) and closes every listener. */
  close(): Promise<void>;
  /** Aborted once `close()` was called. */
  readonly closing: AbortSignal;
}

function isFetcher(cache: ConfigWatcher): cache is ConfigWatcher & ConfigFetcher {
  return typeof (cache as Partial<ConfigFetcher>).fetch === "function";
}

/**
 * Composes the SotW, delta, Fetch and REST servers over a cache. The
 * servers see the cache only through `ConfigWatcher` (and `ConfigFetcher`
 * for Fetch and REST).
 */
export function createXdsServer(cache: ConfigWatcher, options: XdsServerOptions = {}): XdsServer {
  const shutdown = new AbortController();
  // Every open stream listens for shutdown.
  setMaxListeners(0, shutdown.signal);
  const streamSlots = new StreamSlots(options.maxStreams ?? DEFAULT_LIMITS.maxStreams);
  const streamOptions = { ...options, shutdownSignal: shutdown.signal, peerOf, streamSlots };
  const readMaxBytes = options.router?.readMaxBytes ?? options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const listeners = new Set<XdsListener>();
  const routes = (router: ConnectRouter): void => {
    if (options.sotw ?? true) registerSotwServices(router, cache, streamOptions);
    if (options.delta ?? true) registerDeltaServices(router, cache, streamOptions);
  };
  const connectHandler = connectNodeAdapter({ ...options.router, readMaxBytes, routes, contextValues: peerContextValues });
  const rest = options.rest ?? true;
  const restHandler =
    rest !== false && isFetcher(cache)
      ? createRestHandler(cache, resolveServerOptions(streamOptions), rest === true ? {} : rest)
      : undefined;
  const interceptors = options.router?.interceptors ?? [];
  const fastHandler =
    (options.fastPath ?? interceptors.length === 0)
      ? createFastPathHandler(cache, resolveServerOptions(streamOptions), {
          sotw: options.sotw ?? true,
          delta: options.delta ?? true,
          readMaxBytes,
        })
      : undefined;
  const handler: NodeHandler = (request, response) => {
    if (fastHandler?.(request, response) === true) return;
    if (restHandler?.(request, response) === true) return;
    connectHandler(request, response);
  };
  return {
    routes,
    handler,
    closing: shutdown.signal,
    async listen(listenOptions = {}) {
      const listener = await listenXds(handler, {
        closeTimeoutMs: options.closeTimeoutMs ?? 2000,
        maxStreamsPerConnection: options.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...listenOptions,
      });
      listeners.add(listener);
      listener.closed.then(() => listeners.delete(listener));
      return listener;
    },
    async close() {
      shutdown.abort();
      await Promise.all([...listeners].map((listener) => listener.close()));
    },
  };
}
