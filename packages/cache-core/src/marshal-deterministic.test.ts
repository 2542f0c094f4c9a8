import { create, createRegistry, equals, fromBinary, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { anyPack, StructSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CacheError, marshalDeterministic } from "@xdskit/cache-core";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { MethodMatchSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/dubbo_proxy/v3/route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";

// The same content, with every map filled in a different order.
function metadataA(): Record<string, JsonObject> {
  return {
    "envoy.lb": { zone: "a", canary: true, weights: { b: 2, a: 1 } },
    "acme.io": { team: "edge", tags: ["x", "y"] },
  };
}
function metadataB(): Record<string, JsonObject> {
  return {
    "acme.io": { tags: ["x", "y"], team: "edge" },
    "envoy.lb": { weights: { a: 1, b: 2 }, canary: true, zone: "a" },
  };
}
function cluster(filterMetadata: Record<string, JsonObject>) {
  return create(ClusterSchema, {
    name: "c",
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    connectTimeout: { seconds: 5n },
    perConnectionBufferLimitBytes: 1024,
    metadata: { filterMetadata },
  });
}

describe("marshalDeterministic", () => {
  it("gives the same bytes across calls", () => {
    const message = cluster(metadataA());
    const first = marshalDeterministic(ClusterSchema, message);
    expect(marshalDeterministic(ClusterSchema, message)).toEqual(first);
    expect(marshalDeterministic(ClusterSchema, cluster(metadataA()))).toEqual(first);
  });

  it("gives the same bytes for maps and Structs filled in different orders, where toBinary does not", () => {
    const a = cluster(metadataA());
    const b = cluster(metadataB());
    expect(toBinary(ClusterSchema, a)).not.toEqual(toBinary(ClusterSchema, b));
    expect(marshalDeterministic(ClusterSchema, a)).toEqual(marshalDeterministic(ClusterSchema, b));
  });

  it("sorts a plain map<string, Value> (google.protobuf.Struct) by key", () => {
    const a = create(StructSchema, { fields: { b: { kind: { case: "numberValue", value: 1 } }, a: { kind: { case: "stringValue", value: "x" } } } });
    const b = create(StructSchema, { fields: { a: { kind: { case: "stringValue", value: "x" } }, b: { kind: { case: "numberValue", value: 1 } } } });
    expect(marshalDeterministic(StructSchema, a)).toEqual(marshalDeterministic(StructSchema, b));
    expect(marshalDeterministic(StructSchema, a)).toEqual(toBinary(StructSchema, b));
  });

  it("sorts integer map keys numerically", () => {
    const m = create(MethodMatchSchema, {
      name: { matchPattern: { case: "exact", value: "m" } },
      paramsMatch: { 10: { parameterMatchSpecifier: { case: "exactMatch", value: "ten" } }, 2: { parameterMatchSpecifier: { case: "exactMatch", value: "two" } } },
    });
    const bytes = marshalDeterministic(MethodMatchSchema, m);
    // JS objects already enumerate integer keys ascending, which is what toBinary writes.
    expect(bytes).toEqual(toBinary(MethodMatchSchema, m));
    const text = new TextDecoder().decode(bytes);
    expect(text.indexOf("two")).toBeLessThan(text.indexOf("ten"));
  });

  it("decodes back to an equal message", () => {
    const message = cluster(metadataB());
    expect(equals(ClusterSchema, fromBinary(ClusterSchema, marshalDeterministic(ClusterSchema, message)), message)).toBe(true);
  });

  it("is byte-identical to toBinary for messages without maps", () => {
    const message = create(ClusterSchema, {
      name: "plain",
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STRICT_DNS },
      connectTimeout: { seconds: 1n, nanos: 5 },
      perConnectionBufferLimitBytes: 7,
      respectDnsTtl: true,
      loadAssignment: { clusterName: "plain", endpoints: [{ lbEndpoints: [{ loadBalancingWeight: 3 }] }] },
    });
    expect(marshalDeterministic(ClusterSchema, message)).toEqual(toBinary(ClusterSchema, message));
  });

  it("keeps unknown fields", () => {
    const withUnknown = fromBinary(ClusterSchema, new Uint8Array([...toBinary(ClusterSchema, cluster({})), 0xf8, 0x3e, 0x01]));
    expect(withUnknown.$unknown).toBeDefined();
    expect(marshalDeterministic(ClusterSchema, withUnknown)).toEqual(toBinary(ClusterSchema, withUnknown));
  });

  it("canonicalizes Any contents only when given a registry", () => {
    const listener = (meta: Record<string, JsonObject>) =>
      create(ListenerSchema, {
        name: "l",
        filterChains: [
          {
            filters: [
              {
                name: "hcm",
                configType: {
                  case: "typedConfig",
                  value: anyPack(
                    HttpConnectionManagerSchema,
                    create(HttpConnectionManagerSchema, {
                      statPrefix: "in",
                      routeSpecifier: { case: "routeConfig", value: { name: "r", virtualHosts: [{ name: "v", domains: ["*"], metadata: { filterMetadata: meta } }] } },
                    }),
                  ),
                },
              },
            ],
          },
        ],
      });
    const a = listener(metadataA());
    const b = listener(metadataB());
    expect(marshalDeterministic(ListenerSchema, a)).not.toEqual(marshalDeterministic(ListenerSchema, b));
    const registry = createRegistry(HttpConnectionManagerSchema);
    const ca = marshalDeterministic(ListenerSchema, a, { registry });
    expect(ca).toEqual(marshalDeterministic(ListenerSchema, b, { registry }));
    expect(equals(ListenerSchema, fromBinary(ListenerSchema, ca), b, { registry, unpackAny: true })).toBe(true);
  });

  it("writes string keys in code-unit order, whatever order JavaScript enumerates them in", () => {
    // Integer-like keys enumerate first and numerically ("2" before "10"): not the sorted order.
    const m = create(StructSchema, { fields: { b: { kind: { case: "boolValue", value: true } }, "10": { kind: { case: "boolValue", value: true } }, "2": { kind: { case: "boolValue", value: true } } } });
    expect(Object.keys(m.fields)).toEqual(["2", "10", "b"]);
    const text = new TextDecoder().decode(marshalDeterministic(StructSchema, m));
    expect(text.indexOf("10")).toBeLessThan(text.indexOf("2"));
    expect(text.indexOf("2")).toBeLessThan(text.indexOf("b"));
  });

  // Maps deep in repeated and oneof fields, empty, with one entry or many, filled in any order:
  // the bytes depend on the content only, decode back to it, and are toBinary's once every map is
  // filled in key order (keys that do not enumerate as integers, so that insertion order is the
  // enumeration order).
  describe("property: order-independent bytes for assignments with endpoint metadata", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9.]{0,6}$/);
    const json: fc.Arbitrary<JsonObject> = fc.dictionary(key, fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.dictionary(key, fc.integer({ min: 0, max: 9 }), { maxKeys: 3 })), { maxKeys: 4 });
    const metadata = fc.dictionary(key, json, { maxKeys: 3 });
    const assignment = fc.array(fc.array(fc.option(metadata, { nil: undefined }), { maxLength: 4 }), { minLength: 1, maxLength: 3 });
    type Shape = (Record<string, JsonObject> | undefined)[][];
    type Order = "as-given" | "reversed" | "sorted";
    // The same content with every object's keys inserted in `order`.
    const reorder = <T>(value: T, order: Order): T => {
      if (Array.isArray(value)) return value.map((v) => reorder(v, order)) as T;
      if (typeof value !== "object" || value === null) return value;
      const keys = Object.keys(value);
      if (order === "reversed") keys.reverse();
      if (order === "sorted") keys.sort();
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = reorder((value as Record<string, unknown>)[k], order);
      return out as T;
    };
    const make = (shape: Shape, order: Order) =>
      create(ClusterLoadAssignmentSchema, {
        clusterName: "c",
        endpoints: shape.map((locality, i) => ({
          priority: i,
          lbEndpoints: locality.map((meta, j) => ({
            hostIdentifier: { case: "endpoint" as const, value: { address: { address: { case: "socketAddress" as const, value: { address: `10.0.${i}.${j}`, portSpecifier: { case: "portValue" as const, value: 80 } } } } } },
            ...(meta === undefined ? {} : { metadata: { filterMetadata: reorder(meta, order) } }),
          })),
        })),
      });
    it("holds for 300 generated assignments", () => {
      fc.assert(
        fc.property(assignment, (shape) => {
          const given = make(shape, "as-given");
          const bytes = marshalDeterministic(ClusterLoadAssignmentSchema, given);
          expect(marshalDeterministic(ClusterLoadAssignmentSchema, make(shape, "reversed"))).toEqual(bytes);
          expect(bytes).toEqual(toBinary(ClusterLoadAssignmentSchema, make(shape, "sorted")));
          expect(equals(ClusterLoadAssignmentSchema, fromBinary(ClusterLoadAssignmentSchema, bytes), given)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  });

  it("throws type-mismatch for a message of another schema", () => {
    expect(() => marshalDeterministic(ListenerSchema, cluster({}) as never)).toThrowError(CacheError);
  });
});
