import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { describe, expect, it } from "vitest";
import { DEFAULT_KEY_PREFIX, EtcdStoreError, groupKeyPrefix, parseResourceKey, resourceKey, typeKeyPrefix } from "./index.js";
import { normalizePrefix, prefixRangeEnd } from "./key-layout.js";

describe("the key layout", () => {
  it("writes <prefix><group>/<type name>/<name>, readable for type.googleapis.com types", () => {
    expect(resourceKey(DEFAULT_KEY_PREFIX, { group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "web" })).toBe(
      "/xdskit/edge/envoy.config.cluster.v3.Cluster/web",
    );
    expect(typeKeyPrefix("/x/", "edge", CLUSTER_TYPE_URL)).toBe("/x/edge/envoy.config.cluster.v3.Cluster/");
    expect(groupKeyPrefix("/x/", "edge")).toBe("/x/edge/");
  });

  it("round-trips names with slashes, encoded groups and other type URLs", () => {
    const cases = [
      { group: "default", typeUrl: CLUSTER_TYPE_URL, name: "xdstp://auth/envoy.config.cluster.v3.Cluster/a/b" },
      { group: "team a/b%", typeUrl: CLUSTER_TYPE_URL, name: "web" },
      { group: "g", typeUrl: "example.com/acme.v1/acme.Thing", name: "n" },
      { group: "g", typeUrl: "type.googleapis.com/a%b", name: "n" },
    ];
    for (const key of cases) {
      const written = resourceKey("/p/", key);
      expect(parseResourceKey("/p/", written)).toEqual(key);
    }
    expect(resourceKey("/p/", { group: "g", typeUrl: "example.com/acme.v1/acme.Thing", name: "n" })).toBe("/p/g/example.com%2Facme.v1%2Facme.Thing/n");
  });

  it("refuses empty groups and names, and parses nothing that is not a resource key", () => {
    expect(() => resourceKey("/p/", { group: "", typeUrl: CLUSTER_TYPE_URL, name: "n" })).toThrow(EtcdStoreError);
    expect(() => resourceKey("/p/", { group: "g", typeUrl: CLUSTER_TYPE_URL, name: "" })).toThrow(/empty name/);
    for (const key of ["/q/g/t/n", "/p/g", "/p/g/t", "/p/g/t/", "/p//t/n", "/p/g//n", "/p/%zz/t/n"]) {
      expect(parseResourceKey("/p/", key), key).toBeUndefined();
    }
  });

  it("gives every prefix a trailing slash and a range end covering exactly it", () => {
    expect(normalizePrefix(undefined)).toBe("/xdskit/");
    expect(normalizePrefix("/a")).toBe("/a/");
    expect(prefixRangeEnd(Buffer.from("/a/")).toString()).toBe("/a0");
    expect([...prefixRangeEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixRangeEnd(Buffer.from([0xff]))]).toEqual([0]);
  });
});
