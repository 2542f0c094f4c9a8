import type { ServerContext, ServerOptions } from "@xdskit/server-core";
import type { GrpcJsServerLike } from "./grpc-js-services.js";
import type { ConnectionGuardOptions } from "./connection-guard.js";
import type { ListenOptions, XdsListener } from "./listen-xds.js";
import type { NodeHandler } from "./node-handler.js";
import type { RestOptions } from "./rest-gateway.js";
import type { StreamGuardOptions } from "./stream-guard.js";

// The main entry's server types. Nothing here may import Connect's types:
// their declarations need the DOM lib (`HeadersInit`), which a Node project
// compiled with `skipLibCheck: false` does not have. What takes Connect types
// (`router`, `routes`) is in create-xds-server.ts, behind `@xdskit/server/connect`.

/**
 * Options of `createXdsServer`. Every property may be left out or
 * `undefined`. The stream guards apply on every transport; the connection
 * guards are `listen`'s defaults (a grpc-js server has its own: its
 * `grpc.keepalive_*` and `grpc.max_connection_age_*` channel options).
 */
export interface XdsServerOptions extends ServerOptions, StreamGuardOptions, ConnectionGuardOptions {
  /**
   * The largest request message accepted, in bytes; a larger one ends its
   * stream with RESOURCE_EXHAUSTED. `router.readMaxBytes` (`createConnectXdsServer`), when set, wins.
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
  /** How long `close()` waits for connections to finish before destroying them, in ms. Default: 2000. */
  readonly closeTimeoutMs?: number | undefined;
  /**
   * Serve the streaming xDS methods (ADS, delta ADS, Stream*, Delta*) over
   * gRPC on HTTP/2 straight on node:http2 from `handler` and `listen`,
   * writing pre-encoded responses, rather than through Connect. It takes
   * uncompressed gRPC (protobuf) requests only; Connect, gRPC-Web,
   * compressed gRPC, Fetch and REST always go through Connect or the REST
   * gateway. Connect interceptors do not run on it. Default: `true`, unless
   * `router.interceptors` (`createConnectXdsServer`) is set.
   */
  readonly fastPath?: boolean | undefined;
  /**
   * Fast path: how long a response may wait for the client's HTTP/2
   * flow-control window (a client that never opens it: zero window forever)
   * before its connection gets GOAWAY ENHANCE_YOUR_CALM and is closed.
   * Default: 60,000 ms.
   */
  readonly writeStallTimeoutMs?: number | undefined;
}

/** Default of {@link XdsServerOptions.writeStallTimeoutMs}. */
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 60_000;

/** Default of {@link XdsServerOptions.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Default of {@link XdsServerOptions.maxStreamsPerConnection}. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 1000;

/** Every xDS service over one cache, on every transport. */
export interface XdsServer {
  /** A node `http`/`http2` request handler: the fast path, the REST gateway, then the Connect routes. */
  readonly handler: NodeHandler;
  /**
   * Starts a node HTTP/2 server (cleartext or TLS, HTTP/1.1 allowed for REST)
   * serving {@link XdsServer.handler}. With REST on and no `rest.registry`, it
   * resolves once the REST gateway's JSON registry is loaded as well.
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

