import * as http2 from "node:http2";
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { Logger } from "@xdskit/cache-core";
import { ServerError } from "@xdskit/server-core";
import { TokenBucket } from "@xdskit/server-core/internal";
import { addressKey, peerKey } from "./peer-key.js";
import { endSessionStreams } from "./session-streams.js";

/** The per-connection guards of `listen` (HTTP/2 sessions and HTTP/1.1 sockets). Every property may be left out or `undefined`. */
export interface ConnectionGuardOptions {
  /**
   * The most connections one peer may hold open (a peer is its verified
   * client certificate's first identity under mTLS, else its IP address);
   * one more is closed as it arrives. `Infinity` for no limit. Default: 5,000.
   */
  readonly maxConnectionsPerPeer?: number | undefined;
  /**
   * The server PINGs every HTTP/2 connection this often, and closes one whose
   * PING is not answered within {@link ConnectionGuardOptions.keepaliveTimeoutMs} (a peer gone
   * without a FIN): its streams end and their watches are freed. `Infinity`
   * turns it off. Default: 60,000 ms.
   */
  readonly keepaliveIntervalMs?: number | undefined;
  /** How long a server PING may go unanswered before the connection is closed. Default: 20,000 ms. */
  readonly keepaliveTimeoutMs?: number | undefined;
  /**
   * The shortest interval allowed between a client's PINGs: a client that
   * pings sooner more than {@link ConnectionGuardOptions.maxPingStrikes} times in a row, with no
   * response written to it in between, gets GOAWAY ENHANCE_YOUR_CALM
   * ("too_many_pings") and loses the connection, as grpc-go's keepalive
   * enforcement does (a PING after data sent is no strike: grpc-go clients
   * ping to measure bandwidth while they receive). Default: 10,000 ms.
   */
  readonly minClientPingIntervalMs?: number | undefined;
  /** Too-early client PINGs tolerated in a row before GOAWAY. Default: 2 (grpc-go's). */
  readonly maxPingStrikes?: number | undefined;
  /**
   * SETTINGS frames a client may send per second, on average, with a burst
   * of 10; over it, GOAWAY ENHANCE_YOUR_CALM. A client sends SETTINGS once or
   * twice per connection. Default: 5.
   */
  readonly maxSettingsPerSecond?: number | undefined;
  /**
   * The longest an HTTP/2 connection may live: then the server says GOAWAY
   * (no new streams), and after {@link ConnectionGuardOptions.connectionAgeGraceMs} ends the
   * remaining streams with UNAVAILABLE, so proxies reconnect (to whichever
   * replica the load balancer picks). Spread by
   * {@link ConnectionGuardOptions.connectionAgeJitter}. `Infinity` turns it off. Default: off.
   */
  readonly maxConnectionAgeMs?: number | undefined;
  /** How long streams may go on after the maximum age's GOAWAY. Default: 30,000 ms. */
  readonly connectionAgeGraceMs?: number | undefined;
  /**
   * Each connection's maximum age is `maxConnectionAgeMs` times a random
   * factor in `[1 - jitter, 1 + jitter]`, so that a fleet connected at once
   * does not reconnect at once. Default: 0.1 (±10 %, as grpc-go).
   */
  readonly connectionAgeJitter?: number | undefined;
  /**
   * The largest header list (HPACK-decoded, bytes) a client may send: the
   * HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE` announced, and what node:http2
   * enforces (larger: the stream is reset). Default: 32 KiB.
   */
  readonly maxHeaderListBytes?: number | undefined;
  /**
   * Streams a client may open per second, on average (burst 100), that never
   * reach the server because node:http2 refused them (more header pairs than
   * 128, a header list over {@link ConnectionGuardOptions.maxHeaderListBytes}, malformed headers):
   * node resets each one but keeps the connection, so a client that keeps
   * sending them gets GOAWAY ENHANCE_YOUR_CALM. Checked every second. Default: 10.
   */
  readonly maxRefusedStreamsPerSecond?: number | undefined;
  /** HTTP/1.1 (REST): how long a client may take to send its request headers. Default: 10,000 ms. */
  readonly headersTimeoutMs?: number | undefined;
  /** HTTP/1.1 (REST): how long a client may take to send its whole request. Default: 30,000 ms. */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * How long a new connection may take to show which protocol it speaks (the
   * HTTP/2 preface or an HTTP/1.1 request line on cleartext, the TLS
   * handshake and ALPN with TLS) before it is closed. Default: 10,000 ms.
   */
  readonly unknownProtocolTimeoutMs?: number | undefined;
}

/** Defaults of {@link ConnectionGuardOptions}. */
export const DEFAULT_CONNECTION_GUARDS = Object.freeze({
  maxConnectionsPerPeer: 5_000,
  keepaliveIntervalMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  minClientPingIntervalMs: 10_000,
  maxPingStrikes: 2,
  maxSettingsPerSecond: 5,
  maxRefusedStreamsPerSecond: 10,
  maxConnectionAgeMs: Number.POSITIVE_INFINITY,
  connectionAgeGraceMs: 30_000,
  connectionAgeJitter: 0.1,
  maxHeaderListBytes: 32 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  unknownProtocolTimeoutMs: 10_000,
} as const);

type Resolved = { readonly [K in keyof typeof DEFAULT_CONNECTION_GUARDS]: number };

/** {@link ConnectionGuardOptions} with the defaults applied. */
export function resolveConnectionGuards(options: ConnectionGuardOptions): Resolved {
  const out: Record<string, number> = { ...DEFAULT_CONNECTION_GUARDS };
  for (const [key, value] of Object.entries(options)) {
    if (key in DEFAULT_CONNECTION_GUARDS && typeof value === "number") out[key] = value;
  }
  return out as Resolved;
}

const SETTINGS_BURST = 10;

// Set on a session when the server writes a response on it: a client PING
// after that is no strike (grpc-go clients ping to estimate bandwidth while
// they receive data, and grpc-go's own enforcement forgives those the same way).
const SENT_SINCE_PING = Symbol("xds sent since the last client ping");

/** Marks that the server wrote a response on `session` (see the PING policy). */
export function markSent(session: object): void {
  (session as { [SENT_SINCE_PING]?: boolean })[SENT_SINCE_PING] = true;
}
// More than a PING ACK (17 bytes, ~46 in a TLS record) and the other frames a client can draw
// without a response (SETTINGS ACK, WINDOW_UPDATE, RST_STREAM): bytes written between two client
// PINGs past this mean the server sent data.
const SENT_DATA_BYTES = 256;

// Bytes the server wrote on the session's connection so far (0 when it has no socket any more).
function bytesWritten(session: http2.ServerHttp2Session): number {
  try {
    return session.socket?.bytesWritten ?? 0;
  } catch {
    return 0;
  }
}

const REFUSED_STREAMS_BURST = 100;
const REFUSED_SWEEP_MS = 1_000;

/** What the refused-streams sweep knows of a session. */
interface SessionWatch {
  /** Streams that reached the 'stream' event. */
  seen: number;
  /** Client streams counted as opened at the last sweep. */
  accounted: number;
  readonly refused: TokenBucket;
}

/** Says GOAWAY ENHANCE_YOUR_CALM with `reason`, then closes the connection once the frame had a turn to go out. */
export function calmDown(session: http2.Http2Session, reason: string): void {
  if (session.destroyed) return;
  try {
    session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from(reason));
  } catch {
    // Already closing: destroying is all that is left.
  }
  setImmediate(() => session.destroy());
}

/**
 * Applies the connection guards to a listener: per-peer connection counts on
 * `server` (at TLS handshake with TLS, so the certificate identity is known),
 * and keepalive, client PING and SETTINGS policing, and maximum age on each
 * HTTP/2 session of `h2`.
 */
export function guardConnections(
  server: net.Server,
  h2: http2.Http2Server | http2.Http2SecureServer,
  guards: Resolved,
  secure: boolean,
  logger: Logger,
): void {
  const perPeer = new Map<string, number>();
  const countPeer = (socket: net.Socket, key: string) => {
    const count = perPeer.get(key) ?? 0;
    if (count >= guards.maxConnectionsPerPeer) {
      logger.warn("xds connection refused: too many connections from one peer (maxConnectionsPerPeer)", { peer: key, limit: guards.maxConnectionsPerPeer });
      socket.destroy();
      return;
    }
    perPeer.set(key, count + 1);
    // on, not once: "close" comes once, and once() wraps each listener in another closure (~180 B a
    // listener, kept for the connection's life).
    socket.on("close", () => {
      const left = (perPeer.get(key) ?? 1) - 1;
      if (left <= 0) perPeer.delete(key);
      else perPeer.set(key, left);
    });
  };
  if (secure) {
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      const certificate = socket.authorized ? socket.getPeerCertificate() : undefined;
      countPeer(socket, peerKey({ address: socket.remoteAddress, tls: true, certificate }));
    });
  } else {
    server.on("connection", (socket: net.Socket) => countPeer(socket, addressKey(socket.remoteAddress)));
  }
  const watched = new Map<http2.ServerHttp2Session, SessionWatch>();
  let sweep: NodeJS.Timeout | undefined;
  h2.on("session", (session: http2.ServerHttp2Session) => {
    guardSession(session, guards, logger);
    const watch: SessionWatch = { seen: 0, accounted: 0, refused: new TokenBucket(guards.maxRefusedStreamsPerSecond, REFUSED_STREAMS_BURST) };
    watched.set(session, watch);
    session.on("stream", () => {
      watch.seen += 1;
    });
    session.on("close", () => {
      watched.delete(session);
      if (watched.size === 0 && sweep !== undefined) {
        clearInterval(sweep);
        sweep = undefined;
      }
    });
    if (sweep === undefined) {
      sweep = setInterval(() => sweepRefusedStreams(watched, logger), REFUSED_SWEEP_MS);
      sweep.unref();
    }
  });
}

// Client streams are numbered 1, 3, 5, …: the last one nghttp2 processed says
// how many the client opened; those that never reached 'stream' were refused.
function sweepRefusedStreams(watched: ReadonlyMap<http2.ServerHttp2Session, SessionWatch>, logger: Logger): void {
  const now = performance.now();
  for (const [session, watch] of watched) {
    if (session.destroyed) continue;
    const last = session.state.lastProcStreamID ?? 0;
    const opened = (last + 1) / 2;
    const refused = opened - watch.seen - watch.accounted;
    if (refused <= 0) continue;
    watch.accounted += refused;
    // More than a full bucket is over the limit whatever the rate: no need to count further.
    for (let i = 0; i < Math.min(refused, REFUSED_STREAMS_BURST + 1); i += 1) {
      if (watch.refused.take(now)) continue;
      logger.warn("xds connection closed: too many refused streams (maxRefusedStreamsPerSecond)", { refused: watch.accounted });
      calmDown(session, "too_many_refused_streams");
      break;
    }
  }
}

function guardSession(session: http2.ServerHttp2Session, guards: Resolved, logger: Logger): void {
  const timers: NodeJS.Timeout[] = [];
  // The keepalive PING in flight's deadline: one at a time, kept in one variable (not added to
  // `timers` on every PING, which kept one Timeout per interval for the connection's whole life).
  let deadline: NodeJS.Timeout | undefined;
  const later = (ms: number, run: () => void, repeat = false): void => {
    const timer = repeat ? setInterval(run, ms) : setTimeout(run, ms);
    timer.unref();
    timers.push(timer);
  };
  // on, not once (as above): one listener per session for every timer of its guards.
  session.on("close", () => {
    for (const timer of timers) clearTimeout(timer);
    clearTimeout(deadline);
  });

  if (Number.isFinite(guards.keepaliveIntervalMs)) {
    later(
      guards.keepaliveIntervalMs,
      () => {
        if (deadline !== undefined || session.destroyed) return;
        deadline = setTimeout(() => {
          logger.warn("xds connection closed: keepalive PING unanswered (keepaliveTimeoutMs)", { timeoutMs: guards.keepaliveTimeoutMs });
          session.destroy();
        }, guards.keepaliveTimeoutMs);
        deadline.unref();
        try {
          session.ping((error) => {
            if (error !== null) return;
            clearTimeout(deadline);
            deadline = undefined;
          });
        } catch {
          // A session that cannot take a PING is closing; the deadline ends it if it does not.
        }
      },
      true,
    );
  }

  let lastPing = Number.NEGATIVE_INFINITY;
  let strikes = 0;
  let writtenAtPing = bytesWritten(session);
  session.on("ping", () => {
    const now = performance.now();
    const marked = session as { [SENT_SINCE_PING]?: boolean };
    // As gRPC servers do, a PING after data the server sent is no strike: a client measuring its
    // bandwidth (grpc-go's BDP estimator) PINGs as each large response's DATA frames arrive, several
    // times per response. "Data" is a response started (markSent) or more written than the PING
    // ACK a flood gets back.
    let sentData = marked[SENT_SINCE_PING] === true;
    if (sentData) marked[SENT_SINCE_PING] = false;
    else {
      // The byte count is read only when no response marks the session (it goes through the
      // session's socket proxy: most of this handler's cost under load, where a PING follows each
      // response). A marked PING leaves the byte mark where it was, so the next PING also counts
      // that response's bytes as data sent, as it should when its later DATA frames draw it.
      const written = bytesWritten(session);
      sentData = written - writtenAtPing > SENT_DATA_BYTES;
      writtenAtPing = written;
    }
    if (sentData) strikes = 0;
    else if (now - lastPing < guards.minClientPingIntervalMs) strikes += 1;
    else strikes = 0;
    lastPing = now;
    if (strikes > guards.maxPingStrikes) {
      logger.warn("xds connection closed: client PINGs too often (minClientPingIntervalMs)", { minIntervalMs: guards.minClientPingIntervalMs });
      calmDown(session, "too_many_pings");
    }
  });

  const settings = new TokenBucket(guards.maxSettingsPerSecond, SETTINGS_BURST);
  session.on("remoteSettings", () => {
    if (settings.take()) return;
    logger.warn("xds connection closed: SETTINGS flood (maxSettingsPerSecond)", { limit: guards.maxSettingsPerSecond });
    calmDown(session, "too_many_settings");
  });

  if (Number.isFinite(guards.maxConnectionAgeMs)) {
    const jitter = 1 + guards.connectionAgeJitter * (2 * Math.random() - 1);
    later(guards.maxConnectionAgeMs * jitter, () => {
      if (session.destroyed) return;
      // GOAWAY: no new streams here; the ones open go on for the grace period.
      session.close();
      later(guards.connectionAgeGraceMs, () => {
        const error = new ServerError("shutdown", "the connection reached its maximum age (maxConnectionAgeMs): reconnect");
        endSessionStreams(session, error);
        // Their trailers had a turn to go out; what still holds the connection is cut.
        later(1_000, () => session.destroy());
      });
    });
  }
}
