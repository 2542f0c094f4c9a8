import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "@bufbuild/protobuf";
import { createAdminHandler } from "@xdskit/admin";
import type { XdsServer } from "@xdskit/server";
import type { AppMetrics } from "./app-metrics.js";

export interface AdminServer {
  readonly port: number;
  /** `http://host:port/`: the admin page. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The admin port: the admin page of `@xdskit/admin` at `/` (its data under
 * `/api`) and Prometheus metrics at `/metrics`. It shows every node's
 * config: bind it where only operators reach (the default host is loopback).
 */
export async function startAdminServer(o: { host: string; port: number; server: XdsServer; metrics: AppMetrics; registry: Registry }): Promise<AdminServer> {
  const admin = createAdminHandler(o.server.context, { registry: o.registry });
  const web = http.createServer((request, response) => {
    if (request.url === "/metrics" || request.url?.startsWith("/metrics?")) {
      o.metrics.exporter.getMetricsRequestHandler(request, response);
      return;
    }
    if (!admin(request, response)) response.writeHead(404, { "content-type": "text/plain" }).end("not found: the admin page is at /, metrics at /metrics\n");
  });
  web.listen(o.port, o.host);
  await once(web, "listening");
  const port = (web.address() as AddressInfo).port;
  return {
    port,
    url: `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}/`,
    async close() {
      admin.close();
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    },
  };
}
