import { createServer, type Server } from "node:http";

/** The HTTP server the default config routes to: answers every request with where it was sent. */
export async function startUpstream(host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(`hello from the xdskit example upstream: ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const a = server.address();
  return { server, port: a && typeof a === "object" ? a.port : port };
}
