import { fromBinary } from "@bufbuild/protobuf";
import { ENDPOINT_TYPE_URL, RESOURCE_WRAPPER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { ResourceSchema, type DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createXdsServer } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient } from "./test-clients.test-helper.js";
import { endpoints, NODE } from "./test-fixtures.test-helper.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** name → "full" (wrapped with a body) | "heartbeat" (wrapped, no body) | "plain" (not wrapped). */
function shape(res: DiscoveryResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const any of res.resources) {
    if (any.typeUrl !== RESOURCE_WRAPPER_TYPE_URL) {
      out[`#${Object.keys(out).length}`] = "plain";
      continue;
    }
    const r = fromBinary(ResourceSchema, any.value);
    out[r.name] = r.resource === undefined ? "heartbeat" : "full";
  }
  return out;
}

describe("TTL resources over SotW ADS", () => {
  it("wraps TTL resources, heartbeats them without a body, and never re-sends the rest after a heartbeat", async () => {
    const cache = createSnapshotCache({ ads: true, heartbeatIntervalMs: 100, nodeHash: (n) => n?.id ?? "" });
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [endpoints("a"), endpoints("b")] }, { ttlMs: { [ENDPOINT_TYPE_URL]: { a: 5000 } } }));
    const server = createXdsServer(cache);
    const listener = await server.listen();
    const client = connectClient(listener.url);
    cleanups.push(() => cache.close(), () => server.close(), () => client.close());

    const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
    const first = await stream.next();
    expect(first.versionInfo).toBe("v1");
    expect(first.resources.filter((r) => r.typeUrl === ENDPOINT_TYPE_URL)).toHaveLength(1);
    expect(shape(first)).toMatchObject({ a: "full" });
    const ack = (r: DiscoveryResponse) => stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: r.versionInfo, responseNonce: r.nonce });
    ack(first);

    // Every response from here on is a heartbeat of "a" alone: a full re-send of
    // a and b after each heartbeat would mean the server forgot it had sent b.
    for (let i = 0; i < 4; i++) {
      const next = await stream.next(2000);
      expect(next.versionInfo).toBe("v1");
      expect(shape(next)).toEqual({ a: "heartbeat" });
      ack(next);
    }
  });
});
