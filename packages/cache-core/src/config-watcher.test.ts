import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  createSubscription,
  isSubscribed,
  prepareResource,
  type Cache,
  type CachedResource,
  type DeltaResponse,
  type FetchResult,
  type SotwResponse,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

// A minimal single-version cache, to check that the interfaces are implementable
// as documented and carry what a server needs.
function fixedCache(version: string, resources: readonly CachedResource[]): Cache {
  const check = (typeUrl: string) => {
    if (typeUrl !== CLUSTER_TYPE_URL) throw new CacheError("unknown-type", `unknown resource type "${typeUrl}"`, { typeUrl });
  };
  return {
    createWatch(request, subscription, respond) {
      check(request.typeUrl);
      if (request.versionInfo !== version) {
        const picked = resources.filter((r) => isSubscribed(subscription, r.name));
        respond({ request, typeUrl: request.typeUrl, version, resources: picked, heartbeat: false });
      }
      return () => {};
    },
    createDeltaWatch(request, subscription, respond) {
      check(request.typeUrl);
      const changed = resources.filter((r) => isSubscribed(subscription, r.name) && subscription.returnedResources().get(r.name) !== r.hash);
      const next = new Set(resources.map((r) => r.name));
      const removed = [...subscription.returnedResources().keys()].filter((n) => !next.has(n));
      respond({ request, typeUrl: request.typeUrl, systemVersion: version, resources: changed, removed });
      return () => {};
    },
    async fetch(request): Promise<FetchResult> {
      check(request.typeUrl);
      if (request.versionInfo === version) return { kind: "not-modified", request, version };
      return { kind: "response", response: { request, typeUrl: request.typeUrl, version, resources, heartbeat: false } };
    },
  };
}

describe("Cache interfaces", () => {
  const c1 = prepareResource(ClusterSchema, create(ClusterSchema, { name: "c1" }));
  const cache = fixedCache("v1", [c1]);

  it("SotW watches may respond synchronously with pre-marshalled resources", () => {
    const request = create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL });
    const got: SotwResponse[] = [];
    const cancel = cache.createWatch(request, createSubscription(), (r) => got.push(r));
    cancel();
    cancel();
    expect(got).toHaveLength(1);
    expect(got[0]?.version).toBe("v1");
    expect(got[0]?.resources[0]?.any.value).toBe(c1.bytes);
  });

  it("delta watches carry changed and removed resources and the next version map", () => {
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, initialResourceVersions: { gone: "x" } });
    const sub = createSubscription({ resourceNames: request.resourceNamesSubscribe, returnedResources: request.initialResourceVersions });
    let got: DeltaResponse | undefined;
    cache.createDeltaWatch(request, sub, (r) => (got = r));
    expect(got?.resources.map((r) => r.name)).toEqual(["c1"]);
    expect(got?.removed).toEqual(["gone"]);
    if (got === undefined) throw new Error("no delta response");
    sub.recordDeltaResponse(got.resources, got.removed);
    expect(sub.returnedResources().get("c1")).toBe(c1.hash);
    expect(sub.returnedResources().has("gone")).toBe(false);
  });

  it("fetch distinguishes a response from not-modified", async () => {
    const fresh = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL }));
    expect(fresh.kind).toBe("response");
    const same = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1" }));
    expect(same).toMatchObject({ kind: "not-modified", version: "v1" });
    await expect(cache.fetch(create(DiscoveryRequestSchema, { typeUrl: "type.googleapis.com/x.Y" }))).rejects.toThrowError(/x\.Y/);
  });
});
