import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CacheError, nodeIdHash, type NodeHash } from "@xdskit/cache-core";
import { NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";

describe("nodeIdHash", () => {
  it("keys a node by its id, ignoring cluster and locality", () => {
    expect(nodeIdHash(create(NodeSchema, { id: "envoy-1", cluster: "edge" }))).toBe("envoy-1");
    expect(nodeIdHash(create(NodeSchema, { id: "envoy-1", cluster: "other" }))).toBe("envoy-1");
  });

  it("throws missing-node without a node or with an empty id", () => {
    for (const node of [undefined, create(NodeSchema, { cluster: "edge" })]) {
      let error: unknown;
      try {
        nodeIdHash(node);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CacheError);
      expect((error as CacheError).code).toBe("missing-node");
      expect((error as CacheError).message).toMatch(/node/);
    }
  });

  it("is pluggable: any (node) => string is a NodeHash", () => {
    const byCluster: NodeHash = (node) => node?.cluster ?? "default";
    expect(byCluster(create(NodeSchema, { id: "a", cluster: "edge" }))).toBe("edge");
    expect(byCluster(undefined)).toBe("default");
  });
});
