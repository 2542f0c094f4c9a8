import { create } from "@bufbuild/protobuf";
import { ABSENT_RESOURCE_VERSION, createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, type MutableSubscription } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";

const cla = (name: string, weight = 1) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });

// A delta stream as a server runs it: each response is recorded in the subscription.
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
      this.subscription.recordDeltaResponse(response.resources, response.removed);
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
    // Never held: "absent", which servers report the way the type needs (VHDS: a Resource without a body).
    expect(d.last?.absent).toEqual(["c"]);
    expect(d.last?.systemVersion).toBe("s0");
    expect(d.subscription.returnedResources()).toEqual(new Map([["a", cache.getResource("a")?.hash], ["c", ABSENT_RESOURCE_VERSION]]));
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
    expect(d.subscription.returnedResources().size).toBe(2);
  });

  it("tell the client about deletions of what it holds", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const d = new DeltaStream(cache, ["a", "b"]).watch().watch();
    cache.deleteResource("b");
    expect(d.last?.removed).toEqual(["b"]);
    // Held, then gone: a removal, not an absent name.
    expect(d.last?.absent).toEqual([]);
    expect(d.last?.resources).toEqual([]);
    // What the client holds; "b" stays subscribed, known not to exist.
    expect([...d.subscription.returnedResources()].filter(([, v]) => v !== ABSENT_RESOURCE_VERSION).map(([k]) => k)).toEqual(["a"]);
    expect(d.subscription.returnedResources().get("b")).toBe(ABSENT_RESOURCE_VERSION);
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
    expect(named.last?.absent).toEqual(["a"]);
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
    expect(d.subscription.returnedResources().get("x")).toBe(ABSENT_RESOURCE_VERSION);
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

  it("keep a subscription's names between its watches: changes made while no watch is open, and answers dropped unsent, go out with the next watch", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b"), cla("c")] });
    const subscription = createSubscription({ resourceNames: ["a", "b", "x"] });
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL });
    const got: DeltaResponse[] = [];
    const names = (r: DeltaResponse | undefined) => [...(r?.resources ?? []).map((x) => x.name), ...(r?.removed ?? []).map((x) => `-${x}`)].sort();
    const watch = () => cache.createDeltaWatch(request, subscription, (response) => got.push(response));
    let cancel = watch();
    expect(names(got[0])).toEqual(["-x", "a", "b"]);
    // The server dropped that answer unsent (a newer request came first): the same answer again.
    cancel();
    cancel = watch();
    expect(names(got[1])).toEqual(["-x", "a", "b"]);
    subscription.recordDeltaResponse(got[1]?.resources ?? [], got[1]?.removed ?? []);
    // The ACK: nothing to send, the watch waits.
    cancel();
    cancel = watch();
    expect(got).toHaveLength(2);
    expect(cache.deltaWatchCount()).toBe(1);
    expect(cache.watchCountFor("a")).toBe(1);
    cache.updateResource(cla("a", 2));
    expect(names(got[2])).toEqual(["a"]);
    expect(cache.deltaWatchCount()).toBe(0);
    expect(cache.watchCountFor("a")).toBe(0);
    subscription.recordDeltaResponse(got[2]?.resources ?? [], got[2]?.removed ?? []);
    // Changes before the client's next request (no watch open), including one it does not subscribe to.
    cache.updateResources([cla("b", 2), cla("c", 2), cla("x")]);
    cache.deleteResource("a");
    expect(got).toHaveLength(3);
    cancel();
    cancel = watch();
    expect(names(got[3])).toEqual(["-a", "b", "x"]);
    subscription.recordDeltaResponse(got[3]?.resources ?? [], got[3]?.removed ?? []);
    cancel();
    cancel = watch();
    expect(got).toHaveLength(4);
    // A changed subscription is diffed whole.
    cancel();
    subscription.updateResourceNames(["c"], ["x"]);
    cancel = watch();
    expect(names(got[4])).toEqual(["c"]);
    cancel();
    expect(cache.deltaWatchCount()).toBe(0);
  });

  it("does not keep a stream's subscription once its watches are cancelled, nor when an answered one never is", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL });
    const open = (cancelAtEnd: boolean): WeakRef<object> => {
      const subscription = createSubscription({ resourceNames: ["a"] });
      let cancel = cache.createDeltaWatch(request, subscription, (r) => subscription.recordDeltaResponse(r.resources, r.removed));
      if (cancelAtEnd) {
        cancel();
        cancel = cache.createDeltaWatch(request, subscription, () => {});
        cancel();
      }
      return new WeakRef(subscription);
    };
    const cancelled = open(true);
    const abandoned = open(false);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(cancelled.deref()).toBeUndefined();
    expect(abandoned.deref()).toBeUndefined();
    expect(cache.deltaWatchCount()).toBe(0);
    // The cache still answers everyone after its registrations went away.
    const d = new DeltaStream(cache, ["a"]).watch();
    expect(d.sent()).toEqual(["a"]);
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
