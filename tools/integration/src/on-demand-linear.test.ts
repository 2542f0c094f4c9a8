// VHDS on demand from a linear cache (behind a mux: routes from a snapshot
// cache, virtual hosts from the linear cache), with a real Envoy 1.40 over
// delta ADS: a host nobody has gets its "does not exist" at once (the linear
// cache fills DeltaResponse.absent, so the server sends a Resource without a
// body naming it; with removed_resources alone Envoy's request waited), hosts
// added later are fetched on their first request.
import { prepareResource, ROUTE_TYPE_URL, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { createMuxCache } from "@xdskit/cache-mux";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";

const ROUTE_CONFIG = "vh-linear";
const NODE_ID = "xdskit-on-demand-linear";
const ads = { ads: {}, resource_api_version: "V3" };

const virtualHost = (host: string) =>
  prepareResource(VirtualHostSchema, {
    name: `${ROUTE_CONFIG}/${host}`,
    domains: [host],
    routes: [{ match: { pathSpecifier: { case: "prefix", value: "/" } }, action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: "upstream" } } } }],
  });

describe("VHDS on demand from a linear cache, real Envoy over delta ADS", () => {
  const keeper = envoyForSuite("on-demand-linear");
  let server: XdsServer;
  let upstream: Upstream;
  let port: number;
  const hosts = createLinearCache({ typeUrl: VIRTUAL_HOST_TYPE_URL, initialResources: [virtualHost("h-0"), virtualHost("h-1")] });
  const subscribed: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream("upstream");
    const snapshots = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
    const routeConfig = prepareResource(RouteConfigurationSchema, {
      name: ROUTE_CONFIG,
      vhds: { configSource: { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: 2, initialFetchTimeout: { seconds: 1n } } },
    });
    snapshots.setSnapshot(NODE_ID, createSnapshot("1", { [ROUTE_TYPE_URL]: [routeConfig] }));
    const cache = createMuxCache({ caches: { [ROUTE_TYPE_URL]: snapshots, [VIRTUAL_HOST_TYPE_URL]: hosts } });
    server = createXdsServer(cache, {
      rest: false,
      callbacks: {
        onStreamDeltaRequest: (_stream, request) => {
          if (request.typeUrl === VIRTUAL_HOST_TYPE_URL) subscribed.push(...request.resourceNamesSubscribe);
        },
      },
    });
    const xds = await server.listen({ host: "127.0.0.1", port: 0 });
    const staticCluster = (name: string, p: number, http2: boolean) => ({
      name,
      type: "STATIC",
      connect_timeout: "1s",
      ...(http2
        ? {
            typed_extension_protocol_options: {
              "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
          }
        : {}),
      load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: p } } } }] }] },
    });
    await keeper.start({
      node: { id: NODE_ID, cluster: "xdskit-test" },
      dynamic_resources: {
        ads_config: { api_type: "DELTA_GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }], set_node_on_first_message_only: true },
      },
      static_resources: {
        clusters: [staticCluster("xds_cluster", xds.port, true), staticCluster("upstream", upstream.port, false)],
        listeners: [
          {
            name: "vhds",
            address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: "envoy.filters.network.http_connection_manager",
                    typed_config: {
                      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                      stat_prefix: "vhds",
                      rds: { route_config_name: ROUTE_CONFIG, config_source: ads },
                      http_filters: [
                        { name: "envoy.filters.http.on_demand", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.on_demand.v3.OnDemand" } },
                        { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    ({ vhds: port } = await keeper.envoy.waitForListenerPorts(["vhds"] as const));
    keeper.ready();
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  it("a host the linear cache holds is fetched on its first request", async () => {
    const answer = await get(port, "/v/0", { headers: { host: "h-0" }, timeoutMs: 15_000 });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: "upstream GET /v/0" });
    expect(subscribed).toContain(`${ROUTE_CONFIG}/h-0`);
  });

  it("a host nobody has: 404 at once (a bodiless Resource naming it), not a request left waiting", async () => {
    const started = performance.now();
    const answer = await get(port, "/v/none", { headers: { host: "nobody" }, timeoutMs: 20_000 });
    expect(answer.status).toBe(404);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(subscribed).toContain(`${ROUTE_CONFIG}/nobody`);
  });

  it("a host added to the linear cache later is served on its first request", async () => {
    hosts.updateResource(virtualHost("h-2"));
    const answer = await get(port, "/v/2", { headers: { host: "h-2" }, timeoutMs: 15_000 });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: "upstream GET /v/2" });
  });
});
