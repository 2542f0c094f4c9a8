import { create, equals, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  createResourceTypeRegistry,
  defineResourceType,
  ENDPOINT_TYPE_URL,
  hashResource,
  LB_ENDPOINT_TYPE_URL,
  marshalDeterministic,
  prepareRawResource,
  prepareResource,
  versionMapOf,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { RateLimitDescriptorSchema } from "@xdskit/envoy-api/envoy/extensions/common/ratelimit/v3/ratelimit_pb";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CacheError);
    return (e as CacheError).code;
  }
  return "no error";
}

describe("prepareResource", () => {
  const cluster = create(ClusterSchema, { name: "c1", metadata: { filterMetadata: { b: { x: 1 }, a: { y: 2 } } } });

  it("derives name and type URL, and keeps schema and message", () => {
    const r = prepareResource(ClusterSchema, cluster);
    expect(r.name).toBe("c1");
    expect(r.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(r.schema).toBe(ClusterSchema);
    expect(r.message).toBe(cluster);
    expect(r.ttlMs).toBeUndefined();
    const cla = prepareResource(ClusterLoadAssignmentSchema, create(ClusterLoadAssignmentSchema, { clusterName: "backend" }));
    expect(cla.name).toBe("backend");
    expect(cla.typeUrl).toBe(ENDPOINT_TYPE_URL);
  });

  it("marshals once, deterministically, and memoizes bytes, hash and Any", () => {
    const r = prepareResource(ClusterSchema, cluster);
    const bytes = r.bytes;
    expect(bytes).toEqual(marshalDeterministic(ClusterSchema, cluster));
    expect(r.bytes).toBe(bytes);
    expect(r.hash).toBe(hashResource(bytes));
    const any = r.any;
    expect(r.any).toBe(any);
    expect(any.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(any.value).toBe(bytes);
    const unpacked = anyUnpack(any, ClusterSchema);
    expect(unpacked && equals(ClusterSchema, unpacked, cluster)).toBe(true);
  });

  it("withTtl shares the memoized encoding", () => {
    const r = prepareResource(ClusterSchema, cluster);
    const withTtl = r.withTtl(30_000);
    expect(withTtl.ttlMs).toBe(30_000);
    expect(withTtl.name).toBe("c1");
    expect(withTtl.bytes).toBe(r.bytes);
    expect(withTtl.withTtl(undefined).ttlMs).toBeUndefined();
    expect(r.ttlMs).toBeUndefined();
  });

  it("rejects an invalid TTL with invalid-resource", () => {
    expect(codeOf(() => prepareResource(ClusterSchema, cluster, { ttlMs: 0 }))).toBe("invalid-resource");
    expect(codeOf(() => prepareResource(ClusterSchema, cluster, { ttlMs: Number.NaN }))).toBe("invalid-resource");
    expect(codeOf(() => prepareResource(ClusterSchema, cluster).withTtl(-1))).toBe("invalid-resource");
    expect(prepareResource(ClusterSchema, cluster, { ttlMs: 5 }).ttlMs).toBe(5);
  });

  it("needs an explicit name for LEDS endpoints, and rejects empty names", () => {
    const endpoint = create(LbEndpointSchema, { loadBalancingWeight: 1 });
    expect(codeOf(() => prepareResource(LbEndpointSchema, endpoint))).toBe("resource-name");
    const named = prepareResource(LbEndpointSchema, endpoint, { name: "xdstp://x/envoy.config.endpoint.v3.LbEndpoint/a" });
    expect(named.typeUrl).toBe(LB_ENDPOINT_TYPE_URL);
    expect(named.name).toBe("xdstp://x/envoy.config.endpoint.v3.LbEndpoint/a");
    expect(codeOf(() => prepareResource(ClusterSchema, cluster, { name: "" }))).toBe("resource-name");
  });

  it("accepts an init object and creates the message", () => {
    const r = prepareResource(ClusterSchema, { name: "from-init", perConnectionBufferLimitBytes: 3 });
    expect(r.name).toBe("from-init");
    expect(r.message?.$typeName).toBe(ClusterSchema.typeName);
    expect(r.bytes).toEqual(marshalDeterministic(ClusterSchema, create(ClusterSchema, { name: "from-init", perConnectionBufferLimitBytes: 3 })));
  });

  it("throws type-mismatch for a message of another schema", () => {
    expect(codeOf(() => prepareResource(LbEndpointSchema, cluster as never, { name: "x" }))).toBe("type-mismatch");
  });

  it("round-trips a custom type URL", () => {
    const typeUrl = "type.googleapis.com/ratelimit.config.ratelimit.v3.RateLimitConfig";
    const types = createResourceTypeRegistry([
      defineResourceType({ typeUrl, schema: RateLimitDescriptorSchema, nameOf: (d) => d.entries[0]?.value }),
    ]);
    const descriptor = create(RateLimitDescriptorSchema, { entries: [{ key: "domain", value: "edge" }] });
    const r = prepareResource(RateLimitDescriptorSchema, descriptor, { typeUrl, types });
    expect(r.name).toBe("edge");
    expect(r.typeUrl).toBe(typeUrl);
    expect(r.any.typeUrl).toBe(typeUrl);
    const schema = types.require(r.any.typeUrl).schema;
    expect(equals(RateLimitDescriptorSchema, fromBinary(RateLimitDescriptorSchema, r.any.value), descriptor)).toBe(true);
    expect(schema).toBe(RateLimitDescriptorSchema);
  });
});

describe("prepareRawResource", () => {
  it("uses the given bytes as they are", () => {
    const bytes = new Uint8Array([10, 1, 120]);
    const r = prepareRawResource({ typeUrl: "type.googleapis.com/x.Y", name: "y", bytes, ttlMs: 1000 });
    expect(r.bytes).toBe(bytes);
    expect(r.hash).toBe(hashResource(bytes));
    expect(r.message).toBeUndefined();
    expect(r.schema).toBeUndefined();
    expect(r.ttlMs).toBe(1000);
    expect(r.any.value).toBe(bytes);
    expect(codeOf(() => prepareRawResource({ typeUrl: "t", name: "", bytes }))).toBe("resource-name");
  });
});

describe("versionMapOf", () => {
  it("maps names to content hashes", () => {
    const a = prepareResource(ClusterSchema, create(ClusterSchema, { name: "a" }));
    const b = prepareResource(ClusterSchema, create(ClusterSchema, { name: "b" }));
    expect(versionMapOf([a, b])).toEqual(new Map([["a", a.hash], ["b", b.hash]]));
    expect(a.hash).not.toBe(b.hash);
  });
});
