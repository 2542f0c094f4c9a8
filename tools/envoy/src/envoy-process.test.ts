import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapFor, envoyVersion, startEnvoy, type EnvoyProcess } from "./index.js";

let upstream: Server;
let upstreamPort = 0;
let listenPort = 0;
let envoy: EnvoyProcess;

beforeAll(async () => {
  upstream = createServer((req, res) => res.end(`hello from upstream ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const a = upstream.address();
  upstreamPort = a && typeof a === "object" ? a.port : 0;
  envoy = await startEnvoy({
    name: "static",
    bootstrap: {
      node: { id: "static-test", cluster: "test" },
      static_resources: {
        listeners: [
          {
            name: "http",
            address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: "envoy.filters.network.http_connection_manager",
                    typed_config: {
                      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                      stat_prefix: "http",
                      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "up" } }] }] },
                      http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
                    },
                  },
                ],
              },
            ],
          },
        ],
        clusters: [
          {
            name: "up",
            type: "STATIC",
            connect_timeout: "1s",
            load_assignment: { cluster_name: "up", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: upstreamPort } } } }] }] },
          },
        ],
      },
    },
  });
  ({ http: listenPort } = await envoy.waitForListenerPorts(["http"]));
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  upstream?.close();
});

describe("a real Envoy", () => {
  it("is the pinned version and proxies a request to the upstream", async () => {
    const info = JSON.parse(await envoy.admin("/server_info")) as { version: string; state: string };
    expect(info.version).toContain(`/${envoyVersion}/`);
    expect(info.state).toBe("LIVE");
    const res = await fetch(`http://127.0.0.1:${listenPort}/ping`);
    expect(await res.text()).toBe("hello from upstream /ping");
  });

  it("binds its port-0 listener to a real port and reports it", async () => {
    expect(listenPort).toBeGreaterThan(0);
    expect(await envoy.listenerPorts()).toEqual(new Map([["http", listenPort]]));
    await expect(envoy.waitForListenerPorts(["http", "absent"], 200)).rejects.toThrow(/listeners absent not active after 200 ms \(active: http\)/);
  });

  it("reports its config through config_dump and stats", async () => {
    const dump = await envoy.configDump();
    const clusters = dump.configs.find((c) => c["@type"].endsWith("ClustersConfigDump")) as unknown as { static_clusters: { cluster: { name: string } }[] };
    expect(clusters.static_clusters.map((c) => c.cluster.name)).toEqual(["up"]);
    const stats = await envoy.stats("cluster.up.upstream_rq_total");
    expect(stats.get("cluster.up.upstream_rq_total")).toBeGreaterThanOrEqual(1);
  });
});

describe("bootstrapFor", () => {
  it("points every mode at the control plane cluster", () => {
    const ads = bootstrapFor({ mode: "ads", xdsPort: 1234, nodeId: "n" }) as { dynamic_resources: Record<string, unknown> };
    expect(ads.dynamic_resources["ads_config"]).toMatchObject({ api_type: "GRPC" });
    expect(ads.dynamic_resources["cds_config"]).toEqual({ ads: {}, resource_api_version: "V3" });
    const delta = bootstrapFor({ mode: "delta", xdsPort: 1234, nodeId: "n" }) as { dynamic_resources: Record<string, { api_config_source: { api_type: string } }> };
    expect(delta.dynamic_resources["lds_config"]?.api_config_source.api_type).toBe("DELTA_GRPC");
    const rest = bootstrapFor({ mode: "rest", xdsPort: 1234, nodeId: "n" }) as { dynamic_resources: Record<string, { api_config_source: { api_type: string } }> };
    expect(rest.dynamic_resources["cds_config"]?.api_config_source.api_type).toBe("REST");
  });

  it("is accepted by Envoy's own validation in every mode", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { ensureEnvoy } = await import("./index.js");
    const dir = mkdtempSync(join(tmpdir(), "bootstrap-"));
    for (const mode of ["ads", "xds", "rest", "delta", "delta-ads"] as const) {
      for (const [how, address] of [["port", { xdsPort: 18000 }], ["unix socket", { xdsPath: join(dir, "xds.sock") }]] as const) {
        const f = join(dir, `${mode}.json`);
        writeFileSync(f, JSON.stringify(bootstrapFor({ mode, ...address, nodeId: "n", rtdsLayer: "rt" })));
        const r = spawnSync(ensureEnvoy(), ["--mode", "validate", "-c", f], { encoding: "utf8" });
        expect(`${mode} over a ${how}: ${r.status} ${r.stdout}${r.stderr}`).toContain(`${mode} over a ${how}: 0 `);
      }
    }
    const { rmSync } = await import("node:fs");
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe("stop()", () => {
  it("stops Envoy and removes the work directory it made, and a second stop is a no-op", async () => {
    const { existsSync } = await import("node:fs");
    expect(existsSync(envoy.workDir)).toBe(true);
    await envoy.stop();
    expect(existsSync(envoy.workDir)).toBe(false);
    await expect(fetch(`${envoy.adminUrl}/ready`)).rejects.toThrow();
    await envoy.stop();
  });
});
