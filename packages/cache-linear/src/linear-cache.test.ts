import { create } from "@bufbuild/protobuf";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  type CachedResource,
  ENDPOINT_TYPE_URL,
  prepareRawResource,
  prepareResource,
} from "@xdskit/cache-core";
import { createLinearCache, LinearCacheError } from "@xdskit/cache-linear";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

function cla(name: string, port = 80) {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [
      {
        lbEndpoints: [
          {
            hostIdentifier: {
              case: "endpoint",
              value: { address: { address: { case: "socketAddress", value: { address: "10.0.0.1", portSpecifier: { case: "portValue", value: port } } } } },
            },
          },
        ],
      },
    ],
  });
}

const fetchRequest = (init: { versionInfo?: string; resourceNames?: string[]; typeUrl?: string } = {}) =>
  create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, ...init });

describe("createLinearCache", () => {
  it("serves the schema's type URL and starts at version <prefix>0", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
    expect(cache.typeUrl).toBe(ENDPOINT_TYPE_URL);
    expect(cache.version()).toBe("eds-0");
    expect(cache.resourceCount()).toBe(0);
  });

  it("takes initial resources at version 0, as messages or cached resources", () => {
    const cache = createLinearCache({
      schema: ClusterLoadAssignmentSchema,
      initialResources: [cla("a"), prepareResource(ClusterLoadAssignmentSchema, cla("b"))],
    });
    expect(cache.version()).toBe("0");
    expect([...cache.getResources().keys()].sort()).toEqual(["a", "b"]);
  });

  it("needs a type URL or a schema", () => {
    expect(() => createLinearCache({})).toThrowError(LinearCacheError);
    expect(() => createLinearCache({ typeUrl: undefined, schema: undefined })).toThrowError(
      expect.objectContaining({ name: "LinearCacheError", code: "unknown-type", field: "typeUrl" }),
    );
  });

  it("options given as undefined take their defaults", () => {
    const cache = createLinearCache({
      schema: ClusterLoadAssignmentSchema,
      typeUrl: undefined,
      versionPrefix: undefined,
      initialResources: undefined,
      types: undefined,
      registry: undefined,
      logger: undefined,
    });
    expect(cache.typeUrl).toBe(ENDPOINT_TYPE_URL);
    expect(cache.version()).toBe("0");
    expect(cache.updateResource(cla("a"))).toBe(true);
    expect(cache.version()).toBe("1");
  });

  it("accepts only cached resources when created with a type URL alone", () => {
    const cache = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    expect(() => cache.updateResource(cla("a"))).toThrowError(/no schema/);
    expect(() => cache.updateResource(cla("a"))).toThrowError(expect.objectContaining({ code: "invalid-resource", field: "schema" }));
    expect(cache.updateResource(prepareRawResource({ typeUrl: ENDPOINT_TYPE_URL, name: "raw", bytes: new Uint8Array([8, 1]) }))).toBe(true);
    expect(cache.getResource("raw")?.bytes).toEqual(new Uint8Array([8, 1]));
  });

  it("rejects a resource of another type, naming both type URLs, and stays unchanged", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const cluster = prepareResource(ClusterSchema, { name: "c" });
    let error: unknown;
    try {
      cache.updateResources([cla("a"), cluster]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: "type-mismatch", typeUrl: CLUSTER_TYPE_URL, servedTypeUrl: ENDPOINT_TYPE_URL });
    expect(String(error)).toContain(CLUSTER_TYPE_URL);
    expect(String(error)).toContain(ENDPOINT_TYPE_URL);
    expect(cache.resourceCount()).toBe(0);
    expect(cache.version()).toBe("0");
  });

  it("rejects requests for another type URL with an error naming both", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const request = fetchRequest({ typeUrl: CLUSTER_TYPE_URL });
    await expect(cache.fetch(request)).rejects.toMatchObject({ code: "unknown-type", typeUrl: CLUSTER_TYPE_URL, servedTypeUrl: ENDPOINT_TYPE_URL });
    await expect(cache.fetch(request)).rejects.toMatchObject({ name: "LinearCacheError", field: "type_url" });
    await expect(cache.fetch(request)).rejects.toThrowError(/serves "type\.googleapis\.com\/envoy\.config\.endpoint.*not "type\.googleapis\.com\/envoy\.config\.cluster/);
  });
});

describe("updates", () => {
  it("bumps the version once per step that changes something", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "v" });
    expect(cache.updateResource(cla("a"))).toBe(true);
    expect(cache.version()).toBe("v1");
    expect(cache.updateResources([cla("b"), cla("c")], ["a"])).toBe(true);
    expect(cache.version()).toBe("v2");
    expect([...cache.getResources().keys()].sort()).toEqual(["b", "c"]);
    expect(cache.deleteResource("b")).toBe(true);
    expect(cache.version()).toBe("v3");
    expect(cache.resourceCount()).toBe(1);
  });

  it("ignores an update with the same content, a delete of a missing name and an empty step", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    cache.updateResource(cla("a", 80));
    const before = cache.getResource("a");
    expect(cache.updateResource(cla("a", 80))).toBe(false);
    expect(cache.deleteResource("missing")).toBe(false);
    expect(cache.updateResources([], [])).toBe(false);
    expect(cache.version()).toBe("1");
    expect(cache.getResource("a")).toBe(before);
  });

  it("treats a TTL change as a change", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const a = prepareResource(ClusterLoadAssignmentSchema, cla("a"));
    cache.updateResource(a);
    expect(cache.updateResource(a.withTtl(1000))).toBe(true);
    expect(cache.getResource("a")?.ttlMs).toBe(1000);
  });

  it("applies deletes before upserts, and the last duplicate upsert wins", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    cache.updateResource(cla("a", 1));
    cache.updateResources([cla("a", 2), cla("a", 3)], ["a"]);
    expect(cache.getResource("a")?.hash).toBe(prepareResource(ClusterLoadAssignmentSchema, cla("a", 3)).hash);
  });

  it("setResources replaces everything and changes only what differs", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b"), cla("c")] });
    const b = cache.getResource("b");
    expect(cache.setResources([cla("b"), cla("c", 81), cla("d")])).toBe(true);
    expect(cache.version()).toBe("1");
    expect([...cache.getResources().keys()].sort()).toEqual(["b", "c", "d"]);
    expect(cache.getResource("b")).toBe(b);
    expect(cache.setResources([cla("b"), cla("c", 81), cla("d")])).toBe(false);
    expect(cache.setResources([])).toBe(true);
    expect(cache.resourceCount()).toBe(0);
  });

  it("getResources returns a copy", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const copy = cache.getResources();
    copy.delete("a");
    expect(cache.resourceCount()).toBe(1);
  });

  it("marshals each updated resource once, however many watchers receive it", () => {
    let encodes = 0;
    const real = prepareResource(ClusterLoadAssignmentSchema, cla("a", 99));
    const counted: CachedResource = {
      typeUrl: real.typeUrl,
      name: real.name,
      schema: real.schema,
      message: real.message,
      ttlMs: undefined,
      withTtl: () => counted,
      any: real.any,
      get bytes() {
        encodes++;
        return real.bytes;
      },
      get hash() {
        encodes++;
        return real.hash;
      },
    };
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    // 50 wildcard-less watchers of "a", all current with nothing.
    let delivered = 0;
    for (let i = 0; i < 50; i++) {
      cache.createWatch(
        create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, versionInfo: "0", resourceNames: ["a"] }),
        { isWildcard: () => false, isLegacyWildcard: () => false, resourceNames: () => new Set(["a"]), returnedResources: () => new Map(), namesRevision: () => 0, answered: () => false },
        (r) => {
          delivered += r.resources.length;
        },
      );
    }
    cache.updateResource(counted);
    expect(delivered).toBe(50);
    // The cache reads the hash when the update is prepared and when comparing: never per watcher.
    expect(encodes).toBeLessThanOrEqual(2);
  });
});

describe("fetch", () => {
  it("answers the requested names, or everything for no names or *", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")], versionPrefix: "x" });
    const named = await cache.fetch(fetchRequest({ resourceNames: ["b", "missing"] }));
    expect(named.kind === "response" && named.response.resources.map((r) => r.name)).toEqual(["b"]);
    expect(named.kind === "response" && named.response.version).toBe("x0");
    const all = await cache.fetch(fetchRequest());
    expect(all.kind === "response" && all.response.resources.map((r) => r.name).sort()).toEqual(["a", "b"]);
    const star = await cache.fetch(fetchRequest({ resourceNames: ["*"] }));
    expect(star.kind === "response" && star.response.resources.length).toBe(2);
  });

  it("is not-modified at the current version", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    cache.updateResource(cla("a", 2));
    expect(await cache.fetch(fetchRequest({ versionInfo: "1" }))).toMatchObject({ kind: "not-modified", version: "1" });
    expect((await cache.fetch(fetchRequest({ versionInfo: "0" }))).kind).toBe("response");
  });

  it("expands prefix subscriptions", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("ns/a"), cla("ns/b/c"), cla("other/a"), cla("ns")] });
    const got = await cache.fetch(fetchRequest({ resourceNames: ["ns/*"] }));
    expect(got.kind === "response" && got.response.resources.map((r) => r.name).sort()).toEqual(["ns/a", "ns/b/c"]);
  });
});
