// Loopback sockets for tests around a real Envoy: HTTP upstreams that say who they are, and plain
// requests. No helper hands out a "free port": a port chosen before the process that binds it
// starts can be taken in between. Everything binds port 0 and reports the port it got (upstreams
// here, Envoy's listeners through `EnvoyProcess.listenerPorts`).
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { PeerCertificate, TLSSocket } from "node:tls";

export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** Requests it answered. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (port 0: `port` is the one it got) answering `<name> <METHOD> <url>`. */
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
