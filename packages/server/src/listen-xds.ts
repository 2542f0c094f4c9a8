import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { NodeHandler } from "./node-handler.js";

/** TLS material for {@link ListenOptions.tls} (as node's `tls.createSecureContext` takes it). */
export interface TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** CA certificates to verify client certificates with. Default: none. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Ask clients for a certificate (mTLS). Default: `false`. */
  readonly requestCert?: boolean;
  /** Refuse clients without a valid certificate; with `requestCert`. Default: `false`. */
  readonly rejectUnauthorized?: boolean;
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
}

/** A running listener. */
export interface XdsListener {
  readonly port: number;
  readonly host: string;
  /** `http://host:port` or `https://host:port`. */
  readonly url: string;
  /** The node server accepting connections (a `net.Server` for cleartext, which hands h2c and HTTP/1.1 to their servers). */
  readonly server: net.Server;
  /** Stops accepting, ends every session gracefully, then destroys what is left after the timeout. */
  close(): Promise<void>;
  /** Resolves once closed. */
  readonly closed: Promise<void>;
}

/** Starts a node HTTP/2 server (HTTP/1.1 allowed, for REST clients) with `handler`. */
export async function listenXds(handler: NodeHandler, options: ListenOptions): Promise<XdsListener> {
  const host = options.host ?? "127.0.0.1";
  const tls = options.tls;
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  let h2: http2.Http2Server | http2.Http2SecureServer;
  let server: net.Server;
  if (tls === undefined) {
    h2 = http2.createServer(handler);
    server = cleartextDemux(h2, http.createServer(handler));
  } else {
    const secure = http2.createSecureServer({
      ...tls,
      ca: tls.ca as string | Buffer | Array<string | Buffer> | undefined,
      allowHTTP1: true,
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
  const close = (): Promise<void> => {
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
