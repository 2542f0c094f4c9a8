import { once } from "node:events";
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import * as tlsModule from "node:tls";
import { type Logger, silentLogger } from "@xdskit/cache-core";
import type { NodeHandler } from "./node-handler.js";

/**
 * TLS for {@link ListenOptions.tls}: the material inline (`key`, `cert`,
 * `ca`, as node's `tls.createSecureContext` takes it), or as files
 * (`keyFile`, `certFile`, `caFile`) that are re-read every
 * `reloadIntervalMs` so rotated certificates apply without a restart. A
 * file given wins over the inline value of the same material.
 */
export interface TlsOptions {
  readonly key?: string | Buffer;
  readonly cert?: string | Buffer;
  /** CA certificates to verify client certificates with. Default: none. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** PEM file of the server's private key. */
  readonly keyFile?: string;
  /** PEM file of the server's certificate (chain). */
  readonly certFile?: string;
  /** PEM file of the CA certificates that sign client certificates. */
  readonly caFile?: string;
  /** Ask clients for a certificate (mTLS). Default: `false`. */
  readonly requestCert?: boolean;
  /** Refuse clients without a valid certificate; with `requestCert`. Default: `false`. */
  readonly rejectUnauthorized?: boolean;
  /**
   * With files: how often to re-read them, in ms. When their contents
   * changed, new connections get the new material (`setSecureContext`);
   * open connections keep theirs. Polling the contents rather than
   * `fs.watch` also sees files replaced by rename or a symlink swap (as
   * Kubernetes updates mounted secrets). `0` turns polling off
   * (`reloadTls()` still works). Default: 10000.
   */
  readonly reloadIntervalMs?: number;
}

interface TlsMaterial {
  readonly key: string | Buffer | undefined;
  readonly cert: string | Buffer | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
}

async function readTlsMaterial(tls: TlsOptions): Promise<TlsMaterial> {
  const [key, cert, ca] = await Promise.all([
    tls.keyFile === undefined ? tls.key : readFile(tls.keyFile),
    tls.certFile === undefined ? tls.cert : readFile(tls.certFile),
    tls.caFile === undefined ? (tls.ca as string | Buffer | Array<string | Buffer> | undefined) : readFile(tls.caFile),
  ]);
  if (key === undefined || cert === undefined) {
    throw new TypeError("listen: tls needs a key and a certificate (key/keyFile and cert/certFile)");
  }
  return { key, cert, ca };
}

function sameValue(a: TlsMaterial[keyof TlsMaterial], b: TlsMaterial[keyof TlsMaterial]): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || Array.isArray(a) || Array.isArray(b)) return false;
  return Buffer.from(a).equals(Buffer.from(b));
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return sameValue(a.key, b.key) && sameValue(a.cert, b.cert) && sameValue(a.ca, b.ca);
}

function contextOptions(material: TlsMaterial): tlsModule.SecureContextOptions {
  return {
    ...(material.key === undefined ? {} : { key: material.key }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.ca === undefined ? {} : { ca: material.ca }),
  };
}

/** Options of `XdsServer.listen`. */
export interface ListenOptions {
  /** Default: 0 (any free port). */
  readonly port?: number;
  /** Default: `127.0.0.1`. */
  readonly host?: string;
  /** Serve TLS (h2 and, for REST, HTTP/1.1 over TLS). Default: cleartext. */
  readonly tls?: TlsOptions;
  /** How long `close()` waits for connections before destroying them, in ms. Default: the server's. */
  readonly closeTimeoutMs?: number;
  /**
   * The HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` announced to each client
   * connection. Default: the server's `maxStreamsPerConnection`.
   */
  readonly maxStreamsPerConnection?: number;
  /** Where TLS reload failures (error) and reloads (info) go. Default: the server's logger. */
  readonly logger?: Logger;
}

/** A running listener. */
export interface XdsListener {
  readonly port: number;
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

/** Starts a node HTTP/2 server (HTTP/1.1 allowed, for REST clients) with `handler`. */
export async function listenXds(handler: NodeHandler, options: ListenOptions): Promise<XdsListener> {
  const host = options.host ?? "127.0.0.1";
  const tls = options.tls;
  const logger = options.logger ?? silentLogger;
  const settings: http2.Settings =
    options.maxStreamsPerConnection === undefined ? {} : { maxConcurrentStreams: options.maxStreamsPerConnection };
  let material: TlsMaterial | undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  let h2: http2.Http2Server | http2.Http2SecureServer;
  let server: net.Server;
  if (tls === undefined) {
    h2 = http2.createServer({ settings }, handler);
    server = cleartextDemux(h2, http.createServer(handler));
  } else {
    material = await readTlsMaterial(tls);
    const secure = http2.createSecureServer({
      ...contextOptions(material),
      ...(tls.requestCert === undefined ? {} : { requestCert: tls.requestCert }),
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
      allowHTTP1: true,
      settings,
    });
    secure.on("request", handler);
    h2 = secure;
    server = secure;
  }
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const timeoutMs = options.closeTimeoutMs ?? 2000;
  let reloading: Promise<boolean> | undefined;
  const reloadTls = (): Promise<boolean> => {
    if (tls === undefined || material === undefined) return Promise.resolve(false);
    const secure = server as http2.Http2SecureServer;
    const current = material;
    reloading ??= (async () => {
      try {
        const next = await readTlsMaterial(tls);
        if (sameMaterial(current, next)) return false;
        const context = contextOptions(next);
        // Throws on a key that does not fit its certificate (a rotation caught halfway): keep serving the old one.
        tlsModule.createSecureContext(context);
        secure.setSecureContext(context);
        material = next;
        logger.info("xds TLS material reloaded", { certFile: tls.certFile });
        return true;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  const interval = tls === undefined || tls.certFile === undefined && tls.keyFile === undefined && tls.caFile === undefined
    ? 0
    : (tls.reloadIntervalMs ?? 10_000);
  const poll =
    interval > 0
      ? setInterval(() => {
          reloadTls().catch((error: unknown) => logger.error("xds TLS reload failed; serving the previous material", { error }));
        }, interval)
      : undefined;
  poll?.unref();
  const close = (): Promise<void> => {
    clearInterval(poll);
    closing ??= new Promise<void>((resolve) => {
      server.close(() => {
        clearTimeout(timer);
        markClosed();
        resolve();
      });
      // Let ended streams flush their trailers, then say GOAWAY.
      setImmediate(() => {
        for (const session of sessions) session.close();
      });
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      timer.unref();
    });
    return closing;
  };
  return {
    port,
    host,
    url: `${tls === undefined ? "http" : "https"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    server,
    reloadTls,
    close,
    closed,
  };
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n");

// Node's cleartext HTTP/2 server cannot fall back to HTTP/1.1 (Envoy's REST
// client speaks HTTP/1.1): look at the first bytes and hand the connection
// to the server that speaks its protocol.
function cleartextDemux(h2: http2.Http2Server, h1: http.Server): net.Server {
  return net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return;
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (isH2) {
        // The HTTP/2 session reads what was put back itself; resuming would drop it.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
}
