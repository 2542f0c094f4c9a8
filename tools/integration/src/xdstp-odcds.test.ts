// On-demand cluster discovery (ODCDS) by xdstp name with a real Envoy 1.40 over delta ADS: the
// on_demand HTTP filter's `odcds.resources_locator` is an xdstp glob of clusters and routes name
// clusters by xdstp names. Envoy 1.40 asks nothing until a request needs a cluster it lacks; then it
// subscribes to the locator's glob collection (not to the route's cluster) and gets every member; a
// cluster it still lacks it then asks for by its own xdstp name on the same subscription. Served
// from the snapshot cache, which matches names canonically (normalizeResourceName).
import { CLUSTER_TYPE_URL, type CachedResource, normalizeResourceName, prepareResource } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";

const CLUSTER = "xdstp://xdskit/envoy.config.cluster.v3.Cluster";
const N = 50;
const ODCDS_TIMEOUT_S = 10;

/** A STATIC cluster to `port`; `resourceName` when the cache must know it by another name than its message's. */
const cluster = (name: string, port: number, resourceName?: string): CachedResource =>
  prepareResource(
    ClusterSchema,
    {
      name,
      clusterDiscoveryType: { case: "type", value: 0 }, // STATIC
      connectTimeout: { seconds: 1n },
      loadAssignment: {
        clusterName: name,
        endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } } } } } } }] }],
      },
    },
    resourceName === undefined ? {} : { name: resourceName },
  );

/** A bootstrap with one listener whose on_demand filter uses `locator`, routing `/<prefix>/…` to each cluster name. */
function bootstrap(opts: { nodeId: string; xdsPort: number; locator: string; routes: Record<string, string>; nodeContextParams?: string[] }) {
  const deltaAds = { api_config_source: { api_type: "AGGREGATED_DELTA_GRPC", transport_api_version: "V3" }, resource_api_version: "V3" };
  const routes = Object.entries(opts.routes).map(([prefix, name]) => ({ match: { prefix: `/${prefix}/` }, route: { cluster: name } }));
  return {
    node: { id: opts.nodeId, cluster: "xdskit-test" },
    ...(opts.nodeContextParams === undefined ? {} : { node_context_params: opts.nodeContextParams }),
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
          load_assignment: { cluster_name: "xds_cluster", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: opts.xdsPort } } } }] }] },
        },
      ],
      listeners: [
        {
          name: "odcds",
          address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "odcds",
                    route_config: { name: "static", validate_clusters: false, virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
                    http_filters: [
                      {
                        name: "envoy.filters.http.on_demand",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.on_demand.v3.OnDemand",
                          // No bootstrap config_sources needed: the source names the ADS stream.
                          odcds: { source: deltaAds, resources_locator: opts.locator, timeout: `${ODCDS_TIMEOUT_S}s` },
                        },
                      },
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
  };
}

/** A server on 127.0.0.1 that records the cluster names Envoy subscribes to and any NACK. */
async function startServer(cache: SnapshotCache) {
  const subscribed: string[] = [];
  const nacks: string[] = [];
  const server: XdsServer = createXdsServer(cache, {
    rest: false,
    callbacks: {
      onStreamDeltaRequest: (_stream, request) => {
        if (request.typeUrl === CLUSTER_TYPE_URL) subscribed.push(...request.resourceNamesSubscribe);
        if (request.errorDetail !== undefined) nacks.push(request.errorDetail.message);
      },
    },
  });
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  return { server, port, subscribed, nacks };
}

describe("ODCDS by xdstp name with a real Envoy over delta ADS", () => {
  const keeper = envoyForSuite("xdstp-odcds");
  const NODE_ID = "xdstp-odcds";
  const members = Array.from({ length: N }, (_, i) => `${CLUSTER}/od/c-${i}`);
  // Outside the glob, spelled by the route with its context parameters out of order: the cluster's
  // message keeps that spelling (Envoy looks the cluster up by it), the cache matches Envoy's sorted one.
  const other = `${CLUSTER}/other/x?b=2&a=1`;
  const missing = `${CLUSTER}/od/missing`;
  const late = `${CLUSTER}/od/late`;
  let cache: SnapshotCache;
  let xds: Awaited<ReturnType<typeof startServer>>;
  let upstream: Upstream;
  let port = 0;

  beforeAll(async () => {
    upstream = await startUpstream("upstream");
    cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
    cache.setSnapshot(NODE_ID, createSnapshot("1", { [CLUSTER_TYPE_URL]: [...members, other].map((name) => cluster(name, upstream.port)) }));
    xds = await startServer(cache);
    const routes: Record<string, string> = { other, missing, late };
    for (const [i, name] of members.entries()) routes[`c-${i}`] = name;
    await keeper.start(bootstrap({ nodeId: NODE_ID, xdsPort: xds.port, locator: `${CLUSTER}/od/*`, routes }));
    port = (await keeper.envoy.waitForListenerPorts(["odcds"] as const)).odcds;
    keeper.ready();
  });

  afterAll(async () => {
    expect(xds?.nacks).toEqual([]);
    await xds?.server.close();
    await upstream?.close();
  });

  it(`the first request makes Envoy subscribe to the locator's glob; all ${N} members arrive and every route's request succeeds`, async () => {
    expect(xds.subscribed).toEqual([]);
    expect(await get(port, "/c-0/x", { timeoutMs: 15_000 })).toMatchObject({ status: 200, body: "upstream GET /c-0/x" });
    // The glob, not c-0's own name.
    expect(xds.subscribed).toEqual([`${CLUSTER}/od/*`]);
    for (let i = 0; i < N; i += 10) {
      const batch = Array.from({ length: Math.min(10, N - i) }, (_, j) => i + j);
      const answers = await Promise.all(batch.map((k) => get(port, `/c-${k}/x`, { timeoutMs: 15_000 })));
      for (const [j, answer] of answers.entries()) expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: `upstream GET /c-${batch[j]}/x` });
    }
    // Every member came with the collection: nothing more was asked.
    expect(xds.subscribed).toEqual([`${CLUSTER}/od/*`]);
  });

  it("a cluster outside the glob is asked for by its xdstp name (context parameters sorted), matched canonically, and serves", async () => {
    const started = performance.now();
    expect(await get(port, "/other/x", { timeoutMs: 15_000 })).toMatchObject({ status: 200, body: "upstream GET /other/x" });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(xds.subscribed).toContain(normalizeResourceName(other));
    expect(normalizeResourceName(other)).toBe(`${CLUSTER}/other/x?a=1&b=2`);
  });

  it("a cluster nobody has is asked for by name and reported absent: 503 well before the on-demand timeout", async () => {
    const started = performance.now();
    const answer = await get(port, "/missing/x", { timeoutMs: 15_000 });
    expect(answer.status).toBe(503);
    expect(performance.now() - started).toBeLessThan((ODCDS_TIMEOUT_S * 1000) / 2);
    expect(xds.subscribed).toContain(missing);
  });

  it("a cluster joining the glob later is pushed to Envoy and serves without being asked for", async () => {
    const before = xds.subscribed.length;
    cache.setSnapshot(NODE_ID, createSnapshot("2", { [CLUSTER_TYPE_URL]: [...members, other, late].map((name) => cluster(name, upstream.port)) }));
    await eventually("the late member in Envoy's clusters", async () => expect(JSON.stringify(await keeper.envoy.configDump())).toContain(late), { timeoutMs: 10_000 });
    expect(await get(port, "/late/x", { timeoutMs: 15_000 })).toMatchObject({ status: 200, body: "upstream GET /late/x" });
    expect(xds.subscribed.slice(before)).toEqual([]);
  });
});

describe("ODCDS by xdstp name with node context parameters (real Envoy over delta ADS)", () => {
  const keeper = envoyForSuite("xdstp-odcds-ctx");
  const NODE_ID = "xdstp-odcds-ctx";
  const NODE_PARAM = `xds.node.id=${NODE_ID}`;
  // Envoy 1.40 adds node_context_params to the glob and to every name it asks for by name; the route
  // must name a member exactly as the member's message does, so members carry the parameter.
  const member = `${CLUSTER}/od/c?${NODE_PARAM}`;
  // Named by the route without the node parameter: Envoy asks `…?a=1&b=2&xds.node.id=…`, so the
  // cache holds the cluster under that name while its message keeps the route's spelling.
  const other = `${CLUSTER}/other/x?b=2&a=1`;
  const missing = `${CLUSTER}/od/missing`;
  let xds: Awaited<ReturnType<typeof startServer>>;
  let upstream: Upstream;
  let port = 0;

  beforeAll(async () => {
    upstream = await startUpstream("ctx");
    const cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
    cache.setSnapshot(NODE_ID, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster(member, upstream.port), cluster(other, upstream.port, `${other}&${NODE_PARAM}`)] }));
    xds = await startServer(cache);
    await keeper.start(bootstrap({ nodeId: NODE_ID, xdsPort: xds.port, locator: `${CLUSTER}/od/*`, routes: { c: member, other, missing }, nodeContextParams: ["id"] }));
    port = (await keeper.envoy.waitForListenerPorts(["odcds"] as const)).odcds;
    keeper.ready();
  });

  afterAll(async () => {
    expect(xds?.nacks).toEqual([]);
    await xds?.server.close();
    await upstream?.close();
  });

  it("Envoy asks for the glob and for a by-name cluster with its node parameter added; both serve", async () => {
    expect(await get(port, "/c/x", { timeoutMs: 15_000 })).toMatchObject({ status: 200, body: "ctx GET /c/x" });
    expect(xds.subscribed).toEqual([`${CLUSTER}/od/*?${NODE_PARAM}`]);
    expect(await get(port, "/other/x", { timeoutMs: 15_000 })).toMatchObject({ status: 200, body: "ctx GET /other/x" });
    expect(xds.subscribed).toEqual([`${CLUSTER}/od/*?${NODE_PARAM}`, `${CLUSTER}/other/x?a=1&b=2&${NODE_PARAM}`]);
  });

  it("a cluster nobody has is reported absent, but Envoy 1.40 misses it and waits out its on-demand timeout", async () => {
    // Envoy notifies the absence under the name it asked for (with the node parameter), while the
    // waiting request looks for the route's name: only the odcds timeout ends the wait.
    const started = performance.now();
    const answer = await get(port, "/missing/x", { timeoutMs: ODCDS_TIMEOUT_S * 1000 + 15_000 });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(503);
    expect(xds.subscribed).toContain(`${missing}?${NODE_PARAM}`);
    expect(elapsed).toBeGreaterThan(ODCDS_TIMEOUT_S * 1000 * 0.9);
    expect(elapsed).toBeLessThan(ODCDS_TIMEOUT_S * 1000 + 10_000);
  });
});
