import { once } from "node:events";
import type * as httpTypes from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { AddressInfo } from "node:net";
import { type Logger, silentLogger } from "@xdskit/cache-core";
import { cleartextDemux } from "./cleartext-demux.js";
import { type ConnectionGuardOptions, guardConnections, resolveConnectionGuards } from "./connection-guard.js";
import { closeGracefully, trackConnections } from "./graceful-close.js";
import { type HeldPort, holdingState, takeHeldPort } from "./held-port-state.js";
import { DEFAULT_LISTEN_BACKLOG } from "./listen-backlog.js";
import type { NodeHandler } from "./node-handler.js";
import { contextOptions, readTlsMaterial, reloadTlsFiles, type TlsOptions, type TlsReloader } from "./tls-material.js";

/**
 * Defaults of the HTTP/2 rapid-reset guard (CVE-2023-44487): a token bucket
 * per connection of `streamResetBurst` client RST_STREAMs, refilled at
 * `streamResetRate` a second; a client over it loses the connection (GOAWAY).
 * These are nghttp2's own defaults, set explicitly so that they are the same
 * on every Node version that reads them (22.11 and later; older ones apply
 * nghttp2's built-in values, the same numbers). A proxy resets an xDS stream
 * only when it reconnects or gives up a per-type stream: far below them.
 */
export const DEFAULT_STREAM_RESET_BURST = 1000;
/** Default of `streamResetRate`: client RST_STREAMs per second, per connection. See {@link DEFAULT_STREAM_RESET_BURST}. */
export const DEFAULT_STREAM_RESET_RATE = 33;

/**
 * Options of `XdsServer.listen`. Every property may be left out or
 * `undefined`; the connection guards default to the server's, else to
 * `DEFAULT_CONNECTION_GUARDS`.
 */
export interface ListenOptions extends ConnectionGuardOptions {
  /** Default: 0 (any free port); the held port's with `heldPort`. */
  readonly port?: number | undefined;
  /** Default: `127.0.0.1`; the held port's with `heldPort`. */
  readonly host?: string | undefined;
  /**
   * Serve a port opened earlier by `holdPort` (from
   * `@xdskit/server/hold-port`), with the connections that arrived while
   * the process was loading: they are served first, in the order they came.
   * `port` and `host`, if given too, must be the held port's.
   */
  readonly heldPort?: HeldPort | undefined;
  /** Serve TLS (h2 and, for REST, HTTP/1.1 over TLS). Default: cleartext. */
  readonly tls?: TlsOptions | undefined;
  /**
   * The accept queue length (connections the kernel completes before the
   * server accepts them; Linux caps it at `net.core.somaxconn`). Default:
   * {@link DEFAULT_LISTEN_BACKLOG}; with `heldPort`, the held port's.
   */
  readonly backlog?: number | undefined;
  /** How long `close()` waits for connections before destroying them, in ms. Default: the server's. */
  readonly closeTimeoutMs?: number | undefined;
  /**
   * The HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` announced to each client
   * connection. Default: the server's `maxStreamsPerConnection`.
   */
  readonly maxStreamsPerConnection?: number | undefined;
  /**
   * The rapid-reset guard: how many client stream resets (RST_STREAM) a
   * connection may send at once, and per second after that, before it is
   * closed. Raise them for clients that cancel streams very often on one
   * connection (load generators, tests); a proxy does not. Read by Node
   * 22.11 and later. Default: the server's, else 1000 and 33 per second.
   */
  readonly streamResetBurst?: number | undefined;
  /** See {@link ListenOptions.streamResetBurst}. */
  readonly streamResetRate?: number | undefined;
  /** Where TLS reload failures (error) and reloads (info) go. Default: the server's logger. */
  readonly logger?: Logger | undefined;
}

/** A running listener. */
export interface XdsListener {
  /** The port it is bound to (the one the system chose, for port 0). */
  readonly port: number;
  /** The address it is bound to. */
  readonly host: string;
  /** `http://host:port` or `https://host:port`. */
  readonly url: string;
  /** The node server accepting connections (a `net.Server` for cleartext, which hands h2c and HTTP/1.1 to their servers). */
  readonly server: net.Server;
  /**
   * Re-reads the TLS files now and, when they changed, serves new
   * connections with them. Resolves `true` when it applied new material,
   * `false` when nothing changed or there is no TLS; rejects (keeping the
   * current material) when the new files do not make a valid context.
   */
  reloadTls(): Promise<boolean>;
  /** Stops accepting, ends every session gracefully, then destroys what is left after the timeout. */
  close(): Promise<void>;
  /** Resolves once closed. */
  readonly closed: Promise<void>;
}

// The rapid-reset options, typed here: @types/node only has them in its Node 22.11+ versions.
interface RapidResetGuard {
  readonly streamResetBurst: number;
  readonly streamResetRate: number;
}

// node:http2's own guards, explicit so that every supported Node (22.11 and
// later) applies the same: a client over one loses its connection (or the stream).
function http2Options(options: ListenOptions, guards: ReturnType<typeof resolveConnectionGuards>): http2.ServerOptions & RapidResetGuard {
  return {
    settings: {
      ...(options.maxStreamsPerConnection === undefined ? {} : { maxConcurrentStreams: options.maxStreamsPerConnection }),
      maxHeaderListSize: Math.min(guards.maxHeaderListBytes, 2 ** 32 - 1),
    },
    maxHeaderListPairs: 128,
    maxSettings: 32,
    maxSessionInvalidFrames: 1000,
    maxSessionRejectedStreams: 100,
    maxOutstandingPings: 10,
    ...(Number.isFinite(guards.unknownProtocolTimeoutMs) ? { unknownProtocolTimeout: guards.unknownProtocolTimeoutMs } : {}),
    streamResetBurst: options.streamResetBurst ?? DEFAULT_STREAM_RESET_BURST,
    streamResetRate: options.streamResetRate ?? DEFAULT_STREAM_RESET_RATE,
  };
}

interface Servers {
  /** Accepts connections. */
  readonly server: net.Server;
  /** Serves HTTP/2 (the same as `server` with TLS). */
  readonly h2: http2.Http2Server | http2.Http2SecureServer;
  readonly tls: TlsReloader | undefined;
}

/**
 * `node:http` without importing it as an ES module: on Node 26 that makes
 * node evaluate every export of the module namespace, undici's WebSocket and
 * EventSource included (about 80 ms of startup on a loaded 2-core machine,
 * against 4 ms for the module itself). `process.getBuiltinModule` is on Node
 * 22.3 and later; older 22 lines import it.
 */
async function nodeHttp(): Promise<typeof httpTypes> {
  return process.getBuiltinModule?.("node:http") ?? (await import("node:http"));
}


// node's HTTP/1.1 timeouts take 0 for "none"; ours take Infinity.
function offAsZero(ms: number): number {
  return Number.isFinite(ms) ? ms : 0;
}

// How often node checks HTTP/1.1 connections against headersTimeout / requestTimeout (its default, 30 s, would let a trickling client stay 30 s past them).
const H1_CHECK_INTERVAL_MS = 1_000;

// Cleartext: h2c and HTTP/1.1 on one port. TLS: h2 or HTTP/1.1 by ALPN.
async function createServers(handler: NodeHandler, options: ListenOptions, logger: Logger): Promise<Servers> {
  const tls = options.tls;
  const guards = resolveConnectionGuards(options);
  if (tls === undefined) {
    const h2 = http2.createServer(http2Options(options, guards), handler);
    const http = await nodeHttp();
    const h1 = http.createServer(
      { headersTimeout: offAsZero(guards.headersTimeoutMs), requestTimeout: offAsZero(guards.requestTimeoutMs), connectionsCheckingInterval: H1_CHECK_INTERVAL_MS },
      handler,
    );
    const server = cleartextDemux(h2, h1, guards.unknownProtocolTimeoutMs);
    // node checks headersTimeout / requestTimeout from a server's 'listening'; h1 only takes sockets handed over.
    server.once("listening", () => h1.emit("listening"));
    server.once("close", () => h1.close());
    return { server, h2, tls: undefined };
  }
  const material = await readTlsMaterial(tls);
  const secure = http2.createSecureServer({
    ...http2Options(options, guards),
    ...contextOptions(material),
    ...(tls.requestCert === undefined ? {} : { requestCert: tls.requestCert }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    allowHTTP1: true,
    // A client that never completes its TLS handshake is closed (node: 120 s).
    ...(Number.isFinite(guards.unknownProtocolTimeoutMs) ? { handshakeTimeout: guards.unknownProtocolTimeoutMs } : {}),
  });
  secure.on("request", handler);
  // The HTTP/1.1 fallback reads its timeouts from the server.
  Object.assign(secure, { headersTimeout: offAsZero(guards.headersTimeoutMs), requestTimeout: offAsZero(guards.requestTimeoutMs) });
  return { server: secure, h2: secure, tls: reloadTlsFiles(secure, tls, material, logger) };
}

function checkHeldPort(options: ListenOptions): void {
  const held = options.heldPort;
  if (held === undefined) return;
  if (options.port !== undefined && options.port !== held.port) {
    throw new TypeError(`listen: port ${options.port} is not the held port ${held.port}`);
  }
  if (options.host !== undefined && options.host !== held.host) {
    throw new TypeError(`listen: host ${options.host} is not the held port's host ${held.host}`);
  }
  holdingState(held);
}

// The server listens on the held port's handle (node moves the handle to it); the connections that waited come back to be served.
function listenOnHeld(server: net.Server, heldPort: HeldPort, backlog: number | undefined): readonly net.Socket[] {
  const taken = takeHeldPort(heldPort);
  // Listening again on the handle sets its queue length: node's default would shrink it to 511.
  server.listen(taken.listening, backlog ?? taken.backlog);
  return taken.sockets;
}

// Each waiting connection (paused since it was accepted) goes through the server's own connection handling, then reads.
function serveWaiting(server: net.Server, sockets: readonly net.Socket[]): void {
  for (const socket of sockets) {
    if (socket.destroyed) continue;
    server.emit("connection", socket);
    socket.resume();
  }
}

/** Starts a node HTTP/2 server (HTTP/1.1 allowed, for REST clients) with `handler`. */
export async function listenXds(handler: NodeHandler, options: ListenOptions): Promise<XdsListener> {
  checkHeldPort(options);
  const host = options.heldPort?.host ?? options.host ?? "127.0.0.1";
  const { server, h2, tls } = await createServers(handler, options, options.logger ?? silentLogger);
  const connections = trackConnections(server, h2);
  const logger = options.logger ?? silentLogger;
  guardConnections(server, h2, resolveConnectionGuards(options), options.tls !== undefined, logger);
  const waiting = options.heldPort === undefined ? [] : listenOnHeld(server, options.heldPort, options.backlog);
  if (options.heldPort === undefined) server.listen({ port: options.port ?? 0, host, backlog: options.backlog ?? DEFAULT_LISTEN_BACKLOG });
  try {
    await once(server, "listening");
  } catch (error) {
    tls?.stop();
    for (const socket of waiting) socket.destroy();
    throw error;
  }
  serveWaiting(server, waiting);
  const port = (server.address() as AddressInfo).port;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    tls?.stop();
    closing ??= closeGracefully(server, connections, options.closeTimeoutMs ?? 2000).then(markClosed);
    return closing;
  };
  return {
    port,
    host,
    url: `${options.tls === undefined ? "http" : "https"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    server,
    reloadTls: () => tls?.reload() ?? Promise.resolve(false),
    close,
    closed,
  };
}
