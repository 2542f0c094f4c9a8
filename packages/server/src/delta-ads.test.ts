import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, VIRTUAL_HOST_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { VirtualHostDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/rds_pb";
import type { NackInfo } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { type TestClient, openClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, type Harness, NODE, startServer, MATRIX } from "./test-fixtures.test-helper.js";

const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;

describe.each(MATRIX)("delta ADS over %s, %s", (kind, _serving, serve) => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
  });

  async function setup(options: Parameters<typeof startServer>[0] = {}) {
    harness = await startServer({ ...serve, ...options });
    client = openClient(kind, harness.url);
    return { cache: harness.cache, stream: client.open(DELTA_ADS) };
  }

  it("sends additions, then only changes and removals", async () => {
    const { cache, stream } = await setup();
    const a = cluster("a");
    cache.set(CLUSTER_TYPE_URL, "1", [a, cluster("b")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual(["a", "b"]);
    expect(first.resources.find((r) => r.name === "a")?.version).toBe(a.hash);
    expect(first.resources[0]?.resource?.typeUrl).toBe(CLUSTER_TYPE_URL);
    stream.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    await stream.nothing();
    cache.set(CLUSTER_TYPE_URL, "2", [a, cluster("c")]);
    const second = await stream.next();
    expect(second.resources.map((r) => r.name)).toEqual(["c"]);
    expect(second.removedResources).toEqual(["b"]);
    expect(second.systemVersionInfo).toBe("2");
    expect(second.nonce).not.toBe(first.nonce);
  });

  it("subscribes, unsubscribes and re-subscribes explicit names", async () => {
    const { cache, stream } = await setup();
    cache.set(ENDPOINT_TYPE_URL, "1", [endpoints("x"), endpoints("y")]);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["x"] });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name)).toEqual(["x"]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: first.nonce, resourceNamesSubscribe: ["y"] });
    const second = await stream.next();
    expect(second.resources.map((r) => r.name)).toEqual(["y"]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: second.nonce, resourceNamesUnsubscribe: ["y"] });
    await stream.nothing();
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: second.nonce, resourceNamesSubscribe: ["y"] });
    const again = await stream.next();
    expect(again.resources.map((r) => r.name)).toEqual(["y"]);
  });

  it("skips what the client already holds (initial_resource_versions)", async () => {
    const { cache, stream } = await setup();
    const a = cluster("a");
    cache.set(CLUSTER_TYPE_URL, "1", [a, cluster("b")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, initialResourceVersions: { a: a.hash } });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name)).toEqual(["b"]);
  });

  it("reports a NACK once and does not resend the rejected resources", async () => {
    const nacks: NackInfo[] = [];
    const { cache, stream } = await setup({ callbacks: { onNack: (nack) => void nacks.push(nack) } });
    cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await stream.next();
    const nack = { typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce, errorDetail: { code: 3, message: "no" } };
    stream.send(nack);
    await stream.nothing(200);
    stream.send(nack);
    await stream.nothing(100);
    expect(nacks).toHaveLength(1);
    expect(nacks[0]).toMatchObject({ protocol: "delta", version: "1", resourceNames: ["a"], message: "no" });
    cache.set(CLUSTER_TYPE_URL, "2", [cluster("a", 5)]);
    expect((await stream.next()).systemVersionInfo).toBe("2");
  });

  it("serves the delta-only VHDS service", async () => {
    harness = await startServer(serve);
    client = openClient(kind, harness.url);
    harness.cache.set(VIRTUAL_HOST_TYPE_URL, "1", [prepareResource(VirtualHostSchema, { name: "rc/host", domains: ["*"] })]);
    const stream = client.open(VirtualHostDiscoveryService.method.deltaVirtualHosts);
    stream.send({ node: NODE, resourceNamesSubscribe: ["rc/host"] });
    const first = await stream.next();
    expect(first.typeUrl).toBe(VIRTUAL_HOST_TYPE_URL);
    expect(first.resources.map((r) => r.name)).toEqual(["rc/host"]);
  });
});
