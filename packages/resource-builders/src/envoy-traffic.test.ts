// A real Envoy serving static resources built here, with traffic through an HTTP and a TCP listener.
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { httpListener, route, routeConfiguration, staticCluster, tcpListener, virtualHost } from "@xdskit/resource-builders";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { startEnvoy, type EnvoyProcess } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "./test-support/envoy.js";

function freePort(): Promise<number> {
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

describe("a real Envoy serves built resources", () => {
  let upstream: Server;
  let envoy: EnvoyProcess | undefined;
  let httpPort = 0;
  let tcpPort = 0;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      res.setHeader("content-type", "text/plain");
      res.end(`upstream saw ${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const addr = upstream.address();
    const upstreamPort = typeof addr === "object" && addr !== null ? addr.port : 0;
    httpPort = await freePort();
    tcpPort = await freePort();

    const cluster = staticCluster({ name: "upstream", connectTimeoutMs: 1000, endpoints: [{ host: "127.0.0.1", port: upstreamPort }] });
    const routes = routeConfiguration({
      name: "local",
      virtualHosts: [
        virtualHost({
          name: "all",
          routes: [
            route({ path: "/direct", directResponse: { status: 202, body: "answered by envoy" } }),
            route({ prefix: "/api/", prefixRewrite: "/", cluster: "upstream", timeoutMs: 5000 }),
          ],
        }),
      ],
    });
    const http = httpListener({ name: "http", address: "127.0.0.1", port: httpPort, routes });
    const tcp = tcpListener({ name: "tcp", address: "127.0.0.1", port: tcpPort, cluster: "upstream" });
    envoy = await startEnvoy({
      name: "resource-builders",
      bootstrap: {
        node: { id: "resource-builders-traffic", cluster: "xdskit" },
        static_resources: { clusters: [json(ClusterSchema, cluster)], listeners: [json(ListenerSchema, http), json(ListenerSchema, tcp)] },
      },
    });
  });

  afterAll(async () => {
    await envoy?.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it("routes HTTP through the connection manager: prefix rewrite to the static cluster, and a direct response", async () => {
    const proxied = await fetch(`http://127.0.0.1:${httpPort}/api/hello?x=1`);
    expect(proxied.status).toBe(200);
    expect(await proxied.text()).toBe("upstream saw GET /hello?x=1");
    const direct = await fetch(`http://127.0.0.1:${httpPort}/direct`);
    expect(direct.status).toBe(202);
    expect(await direct.text()).toBe("answered by envoy");
    const missing = await fetch(`http://127.0.0.1:${httpPort}/nowhere`);
    expect(missing.status).toBe(404);
  });

  it("proxies raw TCP through tcp_proxy to the same upstream", async () => {
    const res = await fetch(`http://127.0.0.1:${tcpPort}/through/tcp`, { method: "POST", body: "x" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("upstream saw POST /through/tcp");
    const stats = await envoy?.stats("tcp.tcp");
    expect(stats?.get("tcp.tcp.downstream_cx_total")).toBeGreaterThanOrEqual(1);
  });
});
