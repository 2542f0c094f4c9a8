import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { changeSize } from "./change-size.js";

// The bound on what waits for a worker (maxPendingBytes) counts changes by changeSize: it must stay
// close to what node's IPC serialization writes, and terminate on any structured-cloneable value.

const resource = (i: number, bytes: number) => ({ name: `cluster-${i}`, bytes: new Uint8Array(bytes).fill(i & 255), ttlMs: i % 2 === 0 ? undefined : 30_000 });

describe("changeSize", () => {
  it("is within 10 % of the serialized size of a linear cache change and of a snapshot change", () => {
    const linear = { kind: "resources", counter: 7, upserts: [resource(1, 4_500)], deletes: ["gone-1", "gone-2"] };
    const snapshot = {
      kind: "set",
      node: "group-a",
      snapshot: {
        id: 3,
        version: undefined,
        types: [
          { typeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster", version: "1", resources: Array.from({ length: 1_000 }, (_, i) => resource(i, 120)), errors: [] },
          { typeUrl: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", version: "1", resources: Array.from({ length: 1_000 }, (_, i) => resource(i, 600)), errors: [] },
        ],
      },
    };
    for (const change of [linear, snapshot]) {
      const serialized = serialize(change).byteLength;
      expect(Math.abs(changeSize(change) - serialized) / serialized).toBeLessThan(0.1);
    }
  });

  it("counts a value reached twice once, and ends on cycles", () => {
    const shared = { bytes: new Uint8Array(10_000) };
    const twice = changeSize({ a: shared, b: shared });
    expect(twice).toBeLessThan(10_100);
    const cyclic: { self?: unknown; list: unknown[]; map: Map<string, unknown> } = { list: [], map: new Map() };
    cyclic.self = cyclic;
    cyclic.list.push(cyclic, cyclic.list);
    cyclic.map.set("back", cyclic);
    expect(changeSize(cyclic)).toBeLessThan(200);
  });
});
