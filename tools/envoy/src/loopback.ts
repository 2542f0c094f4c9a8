// Loopback sockets for tests around a real Envoy: free ports, HTTP upstreams that say who they
// are, and plain requests.
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer as createNetServer } from "node:net";
import type { PeerCertificate, TLSSocket } from "node:tls";

/** A port that was free a moment ago on 127.0.0.1 (Envoy listeners must bind real ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** Requests it answered. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering `<name> <METHOD> <url>`. */
export async function startUpstream(name: string): Promise<Upstream> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "text/plain");
      res.setHeader("x-upstream", name);
      res.end(`${name} ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  return {
    name,
    port,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The server certificate, for HTTPS. */
  readonly peerCertificate?: PeerCertificate;
}

export interface GetOptions {
  readonly headers?: Record<string, string>;
  /** HTTPS with this CA (PEM); SNI `localhost`. */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

/** One GET on its own connection (no keep-alive: listeners are replaced between versions). */
export function get(port: number, path: string, opts: GetOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const common = { host: "127.0.0.1", port, path, method: "GET", headers: { ...opts.headers, connection: "close" }, agent: false as const };
    const onResponse = (res: import("node:http").IncomingMessage) => {
      const peerCertificate = opts.ca === undefined ? undefined : (res.socket as TLSSocket).getPeerCertificate();
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(peerCertificate ? { peerCertificate } : {}) }));
      res.on("error", reject);
    };
    const req = opts.ca === undefined ? request(common, onResponse) : httpsRequest({ ...common, ca: opts.ca, servername: "localhost" }, onResponse);
    req.setTimeout(opts.timeoutMs ?? 5_000, () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
