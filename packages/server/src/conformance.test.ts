// Protocol rules of the xDS spec over real sockets, on a real snapshot cache
// (issue 18): a large proxy's names with default options, one unknown type on
// an ADS stream, names newly named after a wildcard.
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer, type XdsServer, type XdsServerOptions } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { Code, connectClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, NODE } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(cache: SnapshotCache, options: XdsServerOptions = {}): Promise<{ server: XdsServer; client: TestClient }> {
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: false, ...options });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  const client = connectClient(listener.url);
  cleanups.push(() => cache.close(), () => server.close(), () => client.close());
  return { server, client };
}

const names = (count: number) => Array.from({ length: count }, (_, i) => `outbound|8080||service-${i}.namespace.svc.cluster.local`);

describe("a proxy naming 50,000 EDS clusters, default options", () => {
  const N = 50_000;
  let snapshot: ReturnType<typeof createSnapshot> | undefined;
  function cacheOf50k(): SnapshotCache {
    const cache = createSnapshotCache({ ads: true, nodeHash: (node) => node?.id ?? "" });
    const all = names(N);
    snapshot ??= createSnapshot("1", { [CLUSTER_TYPE_URL]: all.map((n) => cluster(n)), [ENDPOINT_TYPE_URL]: all.map((n) => endpoints(n)) });
    cache.setSnapshot(NODE.id, snapshot);
    return cache;
  }

  it("SotW ADS: one request with every name (and a repeat of each) is served in full", async () => {
    const { client } = await serve(cacheOf50k());
    const stream = client.open(ADS);
    const all = names(N);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: [...all, ...all.slice(0, 1000)] });
    const response = await stream.next(30_000);
    expect(response.versionInfo).toBe("1");
    expect(response.resources).toHaveLength(N);
  }, 60_000);

  it("delta ADS: one subscription of every name is served in full", async () => {
    const { client } = await serve(cacheOf50k());
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: names(N) });
    const response = await stream.next(30_000);
    expect(response.resources).toHaveLength(N);
    expect(response.removedResources).toEqual([]);
  }, 60_000);

  it("a stream over maxSubscribedNameBytes ends with RESOURCE_EXHAUSTED naming the option; others keep working", async () => {
    const { client } = await serve(cacheOf50k(), { maxSubscribedNameBytes: 10_000 });
    const fine = client.open(DELTA_ADS);
    fine.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: names(100) });
    expect((await fine.next(10_000)).resources).toHaveLength(100);
    const greedy = client.open(DELTA_ADS);
    // 100 names at a time: the stream's total, not one request, crosses the limit.
    greedy.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: names(100) });
    greedy.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: names(300).slice(100) });
    const status = await greedy.status;
    expect(status.code).toBe(Code.ResourceExhausted);
    expect(status.message).toContain("maxSubscribedNameBytes");
    fine.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["outbound|8080||service-200.namespace.svc.cluster.local"] });
    expect((await fine.next(10_000)).resources.map((r) => r.name)).toEqual(["outbound|8080||service-200.namespace.svc.cluster.local"]);
  }, 60_000);
});

describe("one unknown type URL on an ADS stream", () => {
  const UNKNOWN = "type.googleapis.com/example.v1.NotServed";
  function cacheOf(version: string, cache = createSnapshotCache({ ads: true, nodeHash: (node) => node?.id ?? "" })): SnapshotCache {
    cache.setSnapshot(NODE.id, createSnapshot(version, { [CLUSTER_TYPE_URL]: [cluster(`c${version}`)], [ENDPOINT_TYPE_URL]: [endpoints("e")] }));
    return cache;
  }
  function capture() {
    const warnings: [string, Record<string, unknown> | undefined][] = [];
    const logger = { error() {}, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push([message, fields]), info() {}, debug() {} };
    return { warnings, logger };
  }

  it("SotW: is logged and ignored; the stream lives and every other type keeps being served", async () => {
    const cache = cacheOf("1");
    const { warnings, logger } = capture();
    const { client } = await serve(cache, { logger });
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const clusters = await stream.next();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: clusters.versionInfo, responseNonce: clusters.nonce });
    stream.send({ typeUrl: UNKNOWN, resourceNames: ["x"] });
    stream.send({ typeUrl: UNKNOWN });
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["e"] });
    const eds = await stream.next();
    expect(eds.typeUrl).toBe(ENDPOINT_TYPE_URL);
    expect(eds.resources).toHaveLength(1);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["e"], versionInfo: eds.versionInfo, responseNonce: eds.nonce });
    cacheOf("2", cache);
    const next = await stream.next();
    expect(next.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(next.versionInfo).toBe("2");
    expect(warnings.filter(([message]) => message.includes("unknown type"))).toEqual([
      [expect.stringContaining("unknown type"), expect.objectContaining({ typeUrl: UNKNOWN, node: NODE.id })],
    ]);
  });

  it("delta: is logged and ignored; the stream lives and every other type keeps being served", async () => {
    const cache = cacheOf("1");
    const { warnings, logger } = capture();
    const { client } = await serve(cache, { logger });
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const clusters = await stream.next();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: clusters.nonce });
    stream.send({ typeUrl: UNKNOWN, resourceNamesSubscribe: ["x"] });
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["e"] });
    const eds = await stream.next();
    expect(eds.typeUrl).toBe(ENDPOINT_TYPE_URL);
    expect(eds.resources.map((r) => r.name)).toEqual(["e"]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: eds.nonce });
    cacheOf("2", cache);
    const next = await stream.next();
    expect(next.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(next.resources.map((r) => r.name)).toEqual(["c2"]);
    expect(warnings.filter(([message]) => message.includes("unknown type"))).toHaveLength(1);
  });
});

describe("names newly named after a wildcard subscription are re-sent", () => {
  function cacheOf(): SnapshotCache {
    const cache = createSnapshotCache({ ads: true, nodeHash: (node) => node?.id ?? "" });
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("x"), cluster("y")] }));
    return cache;
  }

  it("SotW: after the legacy wildcard, [\"*\", \"x\"] re-sends x at the same version", async () => {
    const { client } = await serve(cacheOf());
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await stream.next();
    expect(first.resources).toHaveLength(2);
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: first.versionInfo, responseNonce: first.nonce });
    await stream.nothing();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: first.versionInfo, responseNonce: first.nonce, resourceNames: ["*", "x"] });
    const again = await stream.next();
    expect(again.versionInfo).toBe("1");
    // SotW wildcard responses carry the full state, x included.
    expect(again.resources).toHaveLength(2);
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: again.versionInfo, responseNonce: again.nonce, resourceNames: ["*", "x"] });
    await stream.nothing();
  });

  it("delta: after a wildcard, subscribing x by name re-sends x alone", async () => {
    const { client } = await serve(cacheOf());
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["*"] });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual(["x", "y"]);
    stream.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    await stream.nothing();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce, resourceNamesSubscribe: ["x"] });
    const again = await stream.next();
    expect(again.resources.map((r) => r.name)).toEqual(["x"]);
  });
});
