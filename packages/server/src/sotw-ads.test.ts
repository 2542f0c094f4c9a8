import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { NackInfo } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { type TestClient, openClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, type Harness, listener, NODE, route, startServer, until, MATRIX } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;

describe.each(MATRIX)("SotW ADS over %s, %s", (kind, _serving, serve) => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
    client = undefined;
    harness = undefined;
  });

  async function setup(options: Parameters<typeof startServer>[0] = {}) {
    harness = await startServer({ ...serve, ...options });
    client = openClient(kind, harness.url);
    return { cache: harness.cache, stream: client.open(ADS) };
  }

  it("answers, is quiet after an ACK, and pushes the next version with a fresh nonce", async () => {
    const { cache, stream } = await setup();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await stream.next();
    expect(first.versionInfo).toBe("v1");
    expect(first.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(first.resources.map((r) => r.typeUrl)).toEqual([CLUSTER_TYPE_URL, CLUSTER_TYPE_URL]);
    expect(first.nonce).not.toBe("");
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    await stream.nothing();
    cache.set(CLUSTER_TYPE_URL, "v2", [cluster("a")]);
    const second = await stream.next();
    expect(second.versionInfo).toBe("v2");
    expect(second.resources).toHaveLength(1);
    expect(second.nonce).not.toBe(first.nonce);
  });

  it("reports a NACK once, keeps the last good config, and does not resend the rejected version", async () => {
    const nacks: NackInfo[] = [];
    const { cache, stream } = await setup({ callbacks: { onNack: async (nack) => void nacks.push(nack) } });
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const v1 = await stream.next();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v1.nonce });
    cache.set(CLUSTER_TYPE_URL, "v2", [cluster("a", 99)]);
    const v2 = await stream.next();
    const nack = {
      typeUrl: CLUSTER_TYPE_URL,
      versionInfo: "v1",
      responseNonce: v2.nonce,
      errorDetail: { code: 3, message: "connect_timeout too large" },
    };
    stream.send(nack);
    await stream.nothing(250);
    stream.send(nack);
    await stream.nothing(150);
    expect(nacks).toHaveLength(1);
    expect(nacks[0]).toMatchObject({
      typeUrl: CLUSTER_TYPE_URL,
      version: "v2",
      nonce: v2.nonce,
      resourceNames: ["a"],
      message: "connect_timeout too large",
      protocol: "sotw",
    });
    expect(nacks[0]?.node?.id).toBe("node-1");
    cache.set(CLUSTER_TYPE_URL, "v3", [cluster("a", 2)]);
    const v3 = await stream.next();
    expect(v3.versionInfo).toBe("v3");
  });

  it("ignores a request with a stale nonce", async () => {
    const { cache, stream } = await setup();
    cache.set(ENDPOINT_TYPE_URL, "v1", [endpoints("a"), endpoints("b")]);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a"] });
    const first = await stream.next();
    const asked = cache.sotwRequests.length;
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: "not-a-nonce", resourceNames: ["a", "b"] });
    await stream.nothing();
    expect(cache.sotwRequests.length).toBe(asked);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    const second = await stream.next();
    expect(second.resources).toHaveLength(2);
  });

  it("sends a name again when it is unsubscribed and subscribed again", async () => {
    const { cache, stream } = await setup();
    cache.set(ENDPOINT_TYPE_URL, "v1", [endpoints("a"), endpoints("b")]);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
    const first = await stream.next();
    expect(first.resources).toHaveLength(2);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    await stream.nothing();
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a"] });
    await stream.nothing();
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    const again = await stream.next();
    expect(again.resources).toHaveLength(2);
    expect(again.nonce).not.toBe(first.nonce);
  });

  it("treats an empty first request as a wildcard only for wildcard types, and honours explicit *", async () => {
    const { cache, stream } = await setup();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    cache.set(ENDPOINT_TYPE_URL, "v1", [endpoints("a")]);
    cache.set(LISTENER_TYPE_URL, "v1", [listener("l")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).resources).toHaveLength(2);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL });
    expect((await stream.next()).resources).toHaveLength(0);
    stream.send({ typeUrl: LISTENER_TYPE_URL, resourceNames: ["*"] });
    expect((await stream.next()).resources).toHaveLength(1);
  });

  it("turns legacy wildcard off when asked, keeping explicit *", async () => {
    const { cache, stream } = await setup({ legacyWildcard: false });
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    cache.set(LISTENER_TYPE_URL, "v1", [listener("l")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).resources).toHaveLength(0);
    stream.send({ typeUrl: LISTENER_TYPE_URL, resourceNames: ["*"] });
    expect((await stream.next()).resources).toHaveLength(1);
  });

  it("subscribes to a /* collection by prefix (resolved by the cache)", async () => {
    const { cache, stream } = await setup();
    cache.set(LISTENER_TYPE_URL, "v1", [listener("xdstp://a/l/1"), listener("xdstp://a/l/2"), listener("other")]);
    stream.send({ node: NODE, typeUrl: LISTENER_TYPE_URL, resourceNames: ["xdstp://a/l/*"] });
    expect((await stream.next()).resources).toHaveLength(2);
  });

  for (const ordered of [true, false]) {
    it(`writes ready responses ${ordered ? "in ADS order" : "in arrival order"}`, async () => {
      const { cache, stream } = await setup({ ordered });
      stream.send({ node: NODE, typeUrl: ROUTE_TYPE_URL, resourceNames: ["r"] });
      stream.send({ typeUrl: LISTENER_TYPE_URL });
      stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["e"] });
      stream.send({ typeUrl: CLUSTER_TYPE_URL });
      await until(() => cache.watchCount === 4);
      cache.setMany([
        [ROUTE_TYPE_URL, "v1", [route("r")]],
        [LISTENER_TYPE_URL, "v1", [listener("l")]],
        [ENDPOINT_TYPE_URL, "v1", [endpoints("e")]],
        [CLUSTER_TYPE_URL, "v1", [cluster("c")]],
      ]);
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) seen.push((await stream.next()).typeUrl);
      const adsOrder = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
      expect(seen).toEqual(ordered ? adsOrder : [...adsOrder].reverse());
    });
  }

  it("keeps the node of the first request for the whole stream", async () => {
    const { cache, stream } = await setup();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await stream.next();
    stream.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    await until(() => cache.sotwRequests.length === 2);
    expect(cache.sotwRequests.map((r) => r.node?.id)).toEqual(["node-1", "node-1"]);
  });

  it("ends the stream with UNAVAILABLE on close()", async () => {
    const { cache, stream } = await setup();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await stream.next();
    await harness?.server.close();
    expect((await stream.status).code).toBe(14);
    expect(cache.watchCount).toBe(0);
  });
});
