import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { hashResource, marshalDeterministic, prepareResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";

describe("hashResource", () => {
  it("is SHA-256 in unpadded base64url", () => {
    expect(hashResource(new Uint8Array())).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    expect(hashResource(new TextEncoder().encode("abc"))).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });

  it("gives the same hash for the same content and a different one when it changes", () => {
    const a = marshalDeterministic(ClusterSchema, create(ClusterSchema, { name: "c", perConnectionBufferLimitBytes: 1 }));
    const b = marshalDeterministic(ClusterSchema, create(ClusterSchema, { name: "c", perConnectionBufferLimitBytes: 1 }));
    const c = marshalDeterministic(ClusterSchema, create(ClusterSchema, { name: "c", perConnectionBufferLimitBytes: 2 }));
    expect(hashResource(a)).toBe(hashResource(b));
    expect(hashResource(a)).not.toBe(hashResource(c));
  });

  it("is stable for metadata filled in different orders", () => {
    const one = prepareResource(ClusterSchema, create(ClusterSchema, { name: "c", metadata: { filterMetadata: { x: { a: 1, b: 2 }, y: {} } } }));
    const two = prepareResource(ClusterSchema, create(ClusterSchema, { name: "c", metadata: { filterMetadata: { y: {}, x: { b: 2, a: 1 } } } }));
    expect(one.hash).toBe(two.hash);
  });
});
