// On-demand discovery with a real Envoy 1.40 over delta ADS: ODCDS (the
// on_demand HTTP filter asks for a route's cluster the first time a request
// needs it) and VHDS (virtual hosts fetched as `<route-config>/<host>` as
// requests arrive), each with hundreds of names.
import { CLUSTER_TYPE_URL, prepareResource, ROUTE_TYPE_URL, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";

const N = 300;
const ROUTE_CONFIG = "vh-routes";
const NODE_ID = "xdskit-on-demand";
const ads = { ads: {}, resource_api_version: "V3" };

const cluster = (name: string, port: number) =>
  prepareResource(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: "type", value: 0 }, // STATIC
    connectTimeout: { seconds: 1n },
    loadAssignment: {
      clusterName: name,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } } } } } } }] }],
    },
  });

const virtualHost = (host: string) =>
  prepareResource(VirtualHostSchema, {
    name: `${ROUTE_CONFIG}/${host}`,
    domains: [host],
    routes: [{ match: { pathSpecifier: { case: "prefix", value: "/" } }, action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: "upstream" } } } }],
  });

const hcm = (statPrefix: string, routing: Record<string, unknown>, onDemand: Record<string, unknown>) => ({
  name: "envoy.filters.network.http_connection_manager",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: statPrefix,
    ...routing,
    http_filters: [
      { name: "envoy.filters.http.on_demand", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.on_demand.v3.OnDemand", ...onDemand } },
      { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
    ],
  },
});

const listener = (name: string, filter: Record<string, unknown>) => ({
  name,
  address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
  filter_chains: [{ filters: [filter] }],
});

describe("on-demand discovery with a real Envoy over delta ADS", () => {
  const keeper = envoyForSuite("on-demand");
  let server: XdsServer;
  let upstream: Upstream;
  let ports: Record<"odcds" | "vhds", number>;
  const subscribed: Record<string, string[]> = {};
  const failures: unknown[] = [];
  let streams = 0;
  let readyMs = 0;

  beforeAll(async () => {
    upstream = await startUpstream("upstream");
    const cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
    const clusters = Array.from({ length: N }, (_, i) => cluster(`od-${i}`, upstream.port));
    const hosts = Array.from({ length: N }, (_, i) => virtualHost(`h-${i}`));
    const routeConfig = prepareResource(RouteConfigurationSchema, { name: ROUTE_CONFIG, vhds: { configSource: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: 2, initialFetchTimeout: { seconds: 1n } } } });
    cache.setSnapshot(NODE_ID, createSnapshot("1", { [CLUSTER_TYPE_URL]: clusters, [ROUTE_TYPE_URL]: [routeConfig], [VIRTUAL_HOST_TYPE_URL]: hosts }));
    server = createXdsServer(cache, {
      rest: false,
      logger: {
        error() {},
        warn() {},
        info() {},
        debug: (message: string, fields?: Record<string, unknown>) => {
          if (message === "xds stream failed") failures.push(fields);
        },
      },
      callbacks: {
        onStreamOpen: () => {
          streams += 1;
        },
        onStreamDeltaRequest: (_stream, request) => {
          const names = subscribed[request.typeUrl] ?? [];
          names.push(...request.resourceNamesSubscribe);
          subscribed[request.typeUrl] = names;
        },
      },
    });
    const xds = await server.listen({ host: "127.0.0.1", port: 0 });
    // Routes name clusters that are not loaded: one route per cluster, and one to a cluster nobody has.
    const routes = [...clusters.map((c) => c.name), "od-missing"].map((name) => ({ match: { prefix: `/${name}/` }, route: { cluster: name } }));
    // Envoy 1.40 subscribes to the VHDS namespace of its route configuration with a request naming
    // nothing, and its init waits for an update in that namespace: an empty answer does not end the
    // wait. On demand, there is nothing to send up front, so the route configuration's VHDS source
    // sets a 1 s initial fetch timeout (Envoy's default is 15 s).
    const started = performance.now();
    await keeper.start({
      node: { id: NODE_ID, cluster: "xdskit-test" },
      dynamic_resources: {
        ads_config: { api_type: "DELTA_GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }], set_node_on_first_message_only: true },
      },
      static_resources: {
        clusters: [
          {
            name: "xds_cluster",
            type: "STATIC",
            connect_timeout: "1s",
            typed_extension_protocol_options: {
              "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
            load_assignment: { cluster_name: "xds_cluster", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: xds.port } } } }] }] },
          },
          {
            name: "upstream",
            type: "STATIC",
            connect_timeout: "1s",
            load_assignment: { cluster_name: "upstream", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: upstream.port } } } }] }] },
          },
        ],
        listeners: [
          listener(
            "odcds",
            hcm("odcds", { route_config: { name: "static", validate_clusters: false, virtual_hosts: [{ name: "all", domains: ["*"], routes }] } }, { odcds: { source: ads, timeout: "10s" } }),
          ),
          listener("vhds", hcm("vhds", { rds: { route_config_name: ROUTE_CONFIG, config_source: ads } }, {})),
        ],
      },
    });
    ports = await keeper.envoy.waitForListenerPorts(["odcds", "vhds"] as const);
    readyMs = performance.now() - started;
    keeper.ready();
  });

  it("both listeners are ready within seconds (VHDS initial fetch timeout of 1 s)", () => {
    expect(readyMs).toBeLessThan(10_000);
  });

  it("VHDS: a host nobody has is answered as a Resource without body naming it: Envoy says 404 at once, not never", async () => {
    // With only removed_resources, Envoy 1.40 kept the request waiting past 30 s.
    const started = performance.now();
    const answer = await get(ports.vhds, "/v/none", { headers: { host: "nobody" }, timeoutMs: 20_000 });
    expect(answer.status).toBe(404);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(subscribed[VIRTUAL_HOST_TYPE_URL]).toContain(`${ROUTE_CONFIG}/nobody`);
  });

  afterAll(async () => {
    // One ADS stream for the whole file: no request limit cut Envoy off during its on-demand bursts.
    expect({ streams, failures }).toEqual({ streams: 1, failures: [] });
    await server?.close();
    await upstream?.close();
  });

  it(`ODCDS: the first request of each of ${N} routes makes Envoy ask for its cluster; every request succeeds`, async () => {
    expect(subscribed[CLUSTER_TYPE_URL] ?? []).toEqual([]);
    for (let i = 0; i < N; i += 10) {
      const batch = Array.from({ length: Math.min(10, N - i) }, (_, j) => i + j);
      const answers = await Promise.all(batch.map((k) => get(ports.odcds, `/od-${k}/x`, { timeoutMs: 15_000 })));
      for (const [j, answer] of answers.entries()) expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: `upstream GET /od-${batch[j]}/x` });
    }
    expect(new Set(subscribed[CLUSTER_TYPE_URL])).toEqual(new Set(Array.from({ length: N }, (_, i) => `od-${i}`)));
  });

  it("ODCDS: a cluster nobody has is reported as absent at once: 503 well before the on-demand timeout", async () => {
    const started = performance.now();
    const answer = await get(ports.odcds, "/od-missing/x", { timeoutMs: 15_000 });
    expect(answer.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(subscribed[CLUSTER_TYPE_URL]).toContain("od-missing");
  });

  it(`VHDS: each of ${N} hosts is fetched as ${ROUTE_CONFIG}/<host> on its first request; every request succeeds`, async () => {
    for (let i = 0; i < N; i += 10) {
      const batch = Array.from({ length: Math.min(10, N - i) }, (_, j) => i + j);
      const answers = await Promise.all(batch.map((k) => get(ports.vhds, `/v/${k}`, { headers: { host: `h-${k}` }, timeoutMs: 15_000 })));
      for (const [j, answer] of answers.entries()) expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: `upstream GET /v/${batch[j]}` });
    }
    const asked = new Set(subscribed[VIRTUAL_HOST_TYPE_URL]);
    for (let i = 0; i < N; i++) expect(asked.has(`${ROUTE_CONFIG}/h-${i}`), `h-${i}`).toBe(true);
  });
});
