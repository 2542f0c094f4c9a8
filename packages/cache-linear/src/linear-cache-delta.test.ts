import { create } from "@bufbuild/protobuf";
import { ABSENT_RESOURCE_VERSION, createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, type MutableSubscription } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const cla = (name: string, weight = 1) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });

// A delta stream as a server runs it: returned resources follow each response's nextVersionMap.
class DeltaStream {
  readonly subscription: MutableSubscription;
  readonly responses: DeltaResponse[] = [];
  cancel: () => void = () => {};

  constructor(
    readonly cache: LinearCache,
    names: string[],
    initial: Record<string, string> = {},
  ) {
    this.subscription = createSubscription({ resourceNames: names, returnedResources: initial });
  }

  watch(): this {
    const responseNonce = this.responses.length === 0 ? "" : `n${this.responses.length}`;
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, responseNonce });
    this.cancel = this.cache.createDeltaWatch(request, this.subscription, (response) => {
      this.responses.push(response);
      this.subscription.setReturnedResources(response.nextVersionMap);
    });
    return this;
  }

  get last(): DeltaResponse | undefined {
    return this.responses[this.responses.length - 1];
  }

  sent(): string[] {
    return (this.last?.resources ?? []).map((r) => r.name).sort();
  }
}

describe("delta watches", () => {
  it("send what the client lacks at once, with content hashes as versions", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")], versionPrefix: "s" });
    const d = new DeltaStream(cache, ["a", "c"]).watch();
    expect(d.sent()).toEqual(["a"]);
    // Issue 18: "c" does not exist, and the client is told so at once (it used to hear nothing).
    expect(d.last?.removed).toEqual(["c"]);
    expect(d.last?.systemVersion).toBe("s0");
    expect(d.last?.nextVersionMap).toEqual(new Map([["a", cache.getResource("a")?.hash], ["c", ABSENT_RESOURCE_VERSION]]));
  });

  it("wait when the client holds every subscribed resource at its hash", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const hash = cache.getResource("a")?.hash ?? "";
    const d = new DeltaStream(cache, ["a"], { a: hash }).watch();
    expect(d.responses).toHaveLength(0);
    expect(cache.deltaWatchCount()).toBe(1);
  });

  it("send only changed resources, and nothing for an update that changes nothing", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const d = new DeltaStream(cache, ["a", "b"]).watch().watch();
    cache.updateResource(cla("a"));
    expect(d.responses).toHaveLength(1);
    cache.updateResource(cla("a", 7));
    expect(d.sent()).toEqual(["a"]);
    expect(d.last?.nextVersionMap.size).toBe(2);
  });

  it("tell the client about deletions of what it holds", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const d = new DeltaStream(cache, ["a", "b"]).watch().watch();
    cache.deleteResource("b");
    expect(d.last?.removed).toEqual(["b"]);
    expect(d.last?.resources).toEqual([]);
    // What the client holds; "b" stays subscribed, known not to exist.
    expect([...(d.last?.nextVersionMap ?? [])].filter(([, v]) => v !== ABSENT_RESOURCE_VERSION).map(([k]) => k)).toEqual(["a"]);
    expect(d.last?.nextVersionMap.get("b")).toBe(ABSENT_RESOURCE_VERSION);
  });

  it("tell a reconnecting client which of its initial versions are stale or gone", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const hashB = cache.getResource("b")?.hash ?? "";
    const d = new DeltaStream(cache, [], { a: "old", b: hashB, gone: "x" }).watch();
    expect(d.subscription.isWildcard()).toBe(true);
    expect(d.sent()).toEqual(["a"]);
    expect(d.last?.removed).toEqual(["gone"]);
  });

  it("answer the first request of a wildcard stream even when there is nothing yet", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const d = new DeltaStream(cache, ["*"]).watch();
    expect(d.responses).toHaveLength(1);
    expect(d.last?.resources).toEqual([]);
    expect(d.last?.removed).toEqual([]);
    d.watch();
    expect(d.responses).toHaveLength(1);
    // A named stream is told at once that "a" does not exist (issue 18), then waits.
    const named = new DeltaStream(cache, ["a"]).watch();
    expect(named.responses).toHaveLength(1);
    expect(named.last?.removed).toEqual(["a"]);
    named.watch();
    expect(named.responses).toHaveLength(1);
  });

  it("report a subscribed name that does not exist once per subscription, not in every answer", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const d = new DeltaStream(cache, ["a", "x"]).watch();
    expect(d.sent()).toEqual(["a"]);
    expect(d.last?.removed).toEqual(["x"]);
    d.watch();
    expect(d.responses).toHaveLength(1);
    cache.updateResource(cla("a", 2));
    expect(d.sent()).toEqual(["a"]);
    expect(d.last?.removed).toEqual([]);
    expect(d.last?.nextVersionMap.get("x")).toBe(ABSENT_RESOURCE_VERSION);
  });

  it("report a name again only after it was created and deleted, or subscribed to again", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const d = new DeltaStream(cache, ["x"]).watch();
    expect(d.last?.removed).toEqual(["x"]);
    d.watch();
    cache.updateResource(cla("x"));
    expect(d.sent()).toEqual(["x"]);
    d.watch();
    cache.deleteResource("x");
    expect(d.last?.removed).toEqual(["x"]);
    expect(d.responses).toHaveLength(3);
    d.watch();
    cache.updateResource(cla("other"));
    expect(d.responses).toHaveLength(3);
    // Subscribing again: the server forgets what the client held of the name, so it is reported again.
    d.cancel();
    d.subscription.updateResourceNames(["x"], []);
    d.subscription.updateReturnedResources([], ["x"]);
    d.watch();
    expect(d.responses).toHaveLength(4);
    expect(d.last?.removed).toEqual(["x"]);
  });

  it("report again a name whose report was never sent (the server records only what it sends)", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const subscription = createSubscription({ resourceNames: ["x"] });
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL });
    const got: DeltaResponse[] = [];
    cache.createDeltaWatch(request, subscription, (response) => got.push(response));
    cache.createDeltaWatch(request, subscription, (response) => got.push(response));
    expect(got.map((r) => r.removed)).toEqual([["x"], ["x"]]);
  });

  it("never tell wildcard or glob subscribers about names they did not hold", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("ns/a")] });
    const wildcard = new DeltaStream(cache, ["*", "x"]).watch();
    expect(wildcard.sent()).toEqual(["ns/a"]);
    expect(wildcard.last?.removed).toEqual([]);
    const glob = new DeltaStream(cache, ["ns/*", "other/*"]).watch();
    expect(glob.sent()).toEqual(["ns/a"]);
    expect(glob.last?.removed).toEqual([]);
    wildcard.watch();
    glob.watch();
    cache.updateResource(cla("y"));
    expect(wildcard.sent()).toEqual(["y"]);
    expect(wildcard.last?.removed).toEqual([]);
    expect(glob.responses).toHaveLength(1);
  });

  it("send an answered wildcard stream no empty response for a request that changes nothing", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const d = new DeltaStream(cache, ["*"]).watch();
    expect(d.sent()).toEqual(["a"]);
    // Envoy sends subscription changes without a nonce; this one changes nothing the client holds.
    d.subscription.updateResourceNames(["not-there"], []);
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, responseNonce: "" });
    cache.createDeltaWatch(request, d.subscription, (response) => d.responses.push(response));
    expect(d.responses).toHaveLength(1);
    expect(cache.deltaWatchCount()).toBe(1);
  });

  it("keep wildcard clients in sync with every change", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const d = new DeltaStream(cache, ["*"]).watch().watch();
    expect(d.responses).toHaveLength(1);
    cache.updateResources([cla("a"), cla("b")]);
    expect(d.sent()).toEqual(["a", "b"]);
    d.watch();
    cache.setResources([cla("b"), cla("c")]);
    expect(d.sent()).toEqual(["c"]);
    expect(d.last?.removed).toEqual(["a"]);
  });

  it("support prefix subscriptions, including names added and removed later", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("ns1/a"), cla("ns2/a")] });
    const d = new DeltaStream(cache, ["ns1/*"]).watch();
    expect(d.sent()).toEqual(["ns1/a"]);
    d.watch();
    cache.updateResource(cla("ns2/b"));
    expect(d.responses).toHaveLength(1);
    cache.updateResource(cla("ns1/deep/b"));
    expect(d.sent()).toEqual(["ns1/deep/b"]);
    d.watch();
    cache.deleteResource("ns1/a");
    expect(d.last?.removed).toEqual(["ns1/a"]);
    expect(cache.watchCountFor("ns1/x")).toBe(0);
    d.watch();
    expect(cache.watchCountFor("ns1/x")).toBe(1);
    expect(cache.watchCountFor("ns2/x")).toBe(0);
  });

  it("leave alone names the client holds but no longer subscribes to", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const hash = cache.getResource("a")?.hash ?? "";
    const d = new DeltaStream(cache, ["a"], { a: hash, old: "v" }).watch();
    expect(d.responses).toHaveLength(0);
  });

  it("stop after cancel", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const d = new DeltaStream(cache, ["a"]).watch().watch();
    d.cancel();
    d.cancel();
    cache.updateResource(cla("a", 2));
    expect(d.responses).toHaveLength(1);
    expect(cache.deltaWatchCount()).toBe(0);
  });

  it("share one marshalled resource between every watcher", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    // Each is told "a" does not exist yet, then waits for it.
    const streams = Array.from({ length: 20 }, () => new DeltaStream(cache, ["a"]).watch().watch());
    cache.updateResource(cla("a"));
    const first = streams[0]?.last?.resources[0];
    expect(first).toBeDefined();
    for (const s of streams) expect(s.last?.resources[0]?.bytes).toBe(first?.bytes);
  });
});
