import { create } from "@bufbuild/protobuf";
import { createSubscription, ENDPOINT_TYPE_URL, type MutableSubscription, type SotwResponse } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const cla = (name: string, weight = 1) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });

// A SotW stream as a server runs it: one watch at a time, the subscription's
// returned resources set after every response.
class Stream {
  readonly subscription: MutableSubscription;
  readonly responses: SotwResponse[] = [];
  version = "";
  cancel: () => void = () => {};

  constructor(
    readonly cache: LinearCache,
    names: string[],
  ) {
    this.subscription = createSubscription({ resourceNames: names });
  }

  watch(names?: string[]): this {
    if (names !== undefined) this.subscription.setResourceNames(names);
    const request = create(DiscoveryRequestSchema, {
      typeUrl: ENDPOINT_TYPE_URL,
      versionInfo: this.version,
      resourceNames: [...this.subscription.resourceNames()],
    });
    this.cancel = this.cache.createWatch(request, this.subscription, (response) => {
      this.responses.push(response);
      this.version = response.version;
      this.subscription.setReturnedResources(new Map(response.resources.map((r) => [r.name, response.version])));
    });
    return this;
  }

  get last(): SotwResponse | undefined {
    return this.responses[this.responses.length - 1];
  }

  names(): string[] {
    return (this.last?.resources ?? []).map((r) => r.name).sort();
  }
}

describe("SotW watches", () => {
  it("answer a first request at once with what exists of the names", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")], versionPrefix: "p" });
    const s = new Stream(cache, ["a", "missing"]).watch();
    expect(s.responses).toHaveLength(1);
    expect(s.names()).toEqual(["a"]);
    expect(s.last?.version).toBe("p0");
    expect(s.last?.heartbeat).toBe(false);
    expect(s.last?.typeUrl).toBe(ENDPOINT_TYPE_URL);
  });

  it("wait while the client is current and answer when one of their names changes", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const s = new Stream(cache, ["a"]).watch();
    s.watch();
    expect(s.responses).toHaveLength(1);
    expect(cache.sotwWatchCount()).toBe(1);
    cache.updateResource(cla("b", 2));
    expect(s.responses).toHaveLength(1);
    cache.updateResource(cla("a", 2));
    expect(s.responses).toHaveLength(2);
    expect(s.last?.version).toBe("2");
    expect(cache.sotwWatchCount()).toBe(0);
  });

  it("answer a client whose version is older than a change to its names", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const s = new Stream(cache, ["a"]).watch();
    cache.updateResource(cla("a", 5));
    s.watch();
    expect(s.responses).toHaveLength(2);
  });

  it("treat versions of another prefix, from the future or garbage as unknown", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")], versionPrefix: "eds-" });
    for (const versionInfo of ["other-0", "eds-99", "eds-x", "0", "eds-"]) {
      const s = new Stream(cache, ["a"]);
      s.version = versionInfo;
      s.subscription.setReturnedResources(new Map([["a", versionInfo]]));
      s.watch();
      expect(s.responses, versionInfo).toHaveLength(1);
    }
  });

  it("answer when a held resource is deleted, and ignore deletes of names the client lacks", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const s = new Stream(cache, ["a", "b", "c"]).watch();
    s.watch();
    cache.updateResource(cla("c"));
    expect(s.names()).toEqual(["a", "b", "c"]);
    s.watch();
    cache.deleteResource("b");
    expect(s.names()).toEqual(["a", "c"]);
    s.watch();
    cache.updateResource(cla("x"));
    cache.deleteResource("x");
    expect(s.responses).toHaveLength(3);
  });

  it("answer at once when the client subscribes to a name it was not sent", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const s = new Stream(cache, ["a"]).watch();
    s.watch(["a", "b"]);
    expect(s.names()).toEqual(["a", "b"]);
    s.watch(["a", "b", "nope"]);
    expect(s.responses).toHaveLength(2);
  });

  it("never answer a subscription to no name, whatever the client's version", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const s = new Stream(cache, ["a"]).watch();
    expect(s.names()).toEqual(["a"]);
    // The client unsubscribes from everything: no response now, nor on later changes.
    s.watch([]);
    expect(s.subscription.isWildcard()).toBe(false);
    cache.updateResources([cla("a", 2), cla("b")]);
    cache.deleteResource("a");
    expect(s.responses).toHaveLength(1);
    // Not even with a version the cache does not know.
    s.cancel();
    s.version = "";
    s.watch();
    cache.updateResource(cla("c"));
    expect(s.responses).toHaveLength(1);
    expect(cache.sotwWatchCount()).toBe(1);
  });

  it("give wildcard watches the full state on any change", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const s = new Stream(cache, []).watch();
    expect(s.subscription.isLegacyWildcard()).toBe(true);
    expect(s.names()).toEqual(["a"]);
    s.watch();
    cache.updateResource(cla("b"));
    expect(s.names()).toEqual(["a", "b"]);
    s.watch();
    cache.deleteResource("a");
    expect(s.names()).toEqual(["b"]);
    s.watch();
    cache.updateResource(cla("b"));
    expect(s.responses).toHaveLength(3);
  });

  it("answer a named stream that turns wildcard at the same version", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const s = new Stream(cache, ["a"]).watch();
    s.watch(["*"]);
    expect(s.names()).toEqual(["a", "b"]);
  });

  it("support prefix subscriptions", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("t/a"), cla("u/a")] });
    const s = new Stream(cache, ["t/*"]).watch();
    expect(s.names()).toEqual(["t/a"]);
    s.watch();
    cache.updateResource(cla("u/b"));
    expect(s.responses).toHaveLength(1);
    cache.updateResource(cla("t/x/y"));
    expect(s.names()).toEqual(["t/a", "t/x/y"]);
    s.watch();
    cache.deleteResource("t/a");
    expect(s.names()).toEqual(["t/x/y"]);
  });

  it("never respond after cancel, and cancel is idempotent", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const s = new Stream(cache, ["a"]).watch();
    s.watch();
    s.cancel();
    s.cancel();
    expect(cache.sotwWatchCount()).toBe(0);
    cache.updateResource(cla("a", 3));
    expect(s.responses).toHaveLength(1);
  });

  it("only visit watches of the changed names", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const streams = Array.from({ length: 100 }, (_, i) => new Stream(cache, [`c${i}`]).watch().watch());
    expect(cache.sotwWatchCount()).toBe(100);
    expect(cache.watchCountFor("c7")).toBe(1);
    cache.updateResource(cla("c7"));
    expect(streams.filter((s) => s.responses.length > 1).length).toBe(1);
    expect(cache.sotwWatchCount()).toBe(99);
  });

  it("keep answering the other watchers when a callback throws", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const request = create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, versionInfo: "0", resourceNames: ["a"] });
    cache.createWatch(request, createSubscription({ resourceNames: ["a"] }), () => {
      throw new Error("broken stream");
    });
    const s = new Stream(cache, ["a"]);
    s.version = "0";
    s.watch();
    cache.updateResource(cla("a"));
    expect(s.responses).toHaveLength(1);
  });

  it("allow a callback to open the next watch and update the cache re-entrantly", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const seen: string[] = [];
    const subscription = createSubscription({ resourceNames: ["a", "b"] });
    const open = (version: string): void => {
      const request = create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, versionInfo: version, resourceNames: ["a", "b"] });
      cache.createWatch(request, subscription, (r) => {
        seen.push(r.version);
        subscription.setReturnedResources(new Map(r.resources.map((x) => [x.name, r.version])));
        if (r.version === "1") cache.updateResource(cla("b", 9));
        open(r.version);
      });
    };
    open("");
    cache.updateResource(cla("a", 2));
    expect(seen).toEqual(["0", "1", "2"]);
  });
});
