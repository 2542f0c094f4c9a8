import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ABSENT_RESOURCE_VERSION,
  CLUSTER_TYPE_URL,
  createSubscription,
  type DeltaResponse,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  type MutableSubscription,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const cluster = (name: string, connectTimeoutSeconds = 1) =>
  create(ClusterSchema, { name, connectTimeout: { seconds: BigInt(connectTimeoutSeconds) } });
const assignment = (clusterName: string) => create(ClusterLoadAssignmentSchema, { clusterName });

/**
 * A delta stream of one type as a server runs it: every response is recorded
 * in the subscription (as sent) and the next watch opened with a nonce.
 */
class DeltaStream {
  readonly responses: DeltaResponse[] = [];
  readonly subscription: MutableSubscription;
  #cancel: () => void = () => {};
  #nonce = 0;

  constructor(
    readonly cache: SnapshotCache,
    readonly typeUrl: string,
    subscribe: string[] = [],
    initial: Record<string, string> = {},
  ) {
    this.subscription = createSubscription({ resourceNames: subscribe, returnedResources: new Map(Object.entries(initial)) });
    this.#open("");
  }

  #open(nonce: string): void {
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: this.typeUrl, node: { id: "n1" }, responseNonce: nonce });
    this.#cancel = this.cache.createDeltaWatch(request, this.subscription, (response) => {
      this.responses.push(response);
      this.subscription.recordDeltaResponse(response.resources, response.removed);
      this.#open(String(++this.#nonce));
    });
  }

  change(subscribe: string[], unsubscribe: string[] = []): void {
    this.#cancel();
    this.subscription.updateResourceNames(subscribe, unsubscribe);
    this.#open(String(++this.#nonce));
  }

  cancel(): void {
    this.#cancel();
  }

  last(): { resources: string[]; removed: readonly string[]; version: string } | undefined {
    const response = this.responses.at(-1);
    if (response === undefined) return undefined;
    return { resources: response.resources.map((r) => r.name), removed: response.removed, version: response.systemVersion };
  }
}

describe("SnapshotCache delta", () => {
  it("answers the first wildcard request even when there is nothing to send", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", {}));
    const stream = new DeltaStream(cache, SECRET_TYPE_URL);
    expect(stream.last()).toEqual({ resources: [], removed: [], version: "v1" });
    // Later requests of the stream wait for a change.
    expect(stream.responses).toHaveLength(1);
    expect(cache.statusInfo("n1")?.deltaWatches).toBe(1);
  });

  it("a named subscription to nothing that exists is told so once, then waits", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", {}));
    const stream = new DeltaStream(cache, ENDPOINT_TYPE_URL, ["a"]);
    // Issue 18: the client learns at once that "a" does not exist (it used to wait here with no answer).
    expect(stream.last()).toEqual({ resources: [], removed: ["a"], version: "v1" });
    expect(stream.responses).toHaveLength(1);
    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    expect(stream.last()).toEqual({ resources: ["a"], removed: [], version: "v2" });
  });

  it("versions resources by their stable hash and sends only what changed", () => {
    const cache = createSnapshotCache();
    const s1 = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] });
    cache.setSnapshot("n1", s1);
    const stream = new DeltaStream(cache, CLUSTER_TYPE_URL);
    expect(stream.last()?.resources).toEqual(["a", "b"]);
    expect(stream.subscription.returnedResources().get("a")).toBe(s1.resources(CLUSTER_TYPE_URL).get("a")?.hash);

    // A new snapshot version with identical content sends nothing.
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] }));
    expect(stream.responses).toHaveLength(1);

    cache.setSnapshot("n1", createSnapshot("v3", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b", 5), cluster("c")] }));
    expect(stream.last()).toEqual({ resources: ["b", "c"], removed: [], version: "v3" });
  });

  it("lists removed resources: gone from the snapshot for wildcard, gone subscribed names otherwise", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("b"), assignment("c")] }));
    const all = new DeltaStream(cache, ENDPOINT_TYPE_URL);
    const named = new DeltaStream(cache, ENDPOINT_TYPE_URL, ["a", "b"]);
    expect(all.last()?.resources).toEqual(["a", "b", "c"]);
    expect(named.last()?.resources).toEqual(["a", "b"]);

    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("c")] }));
    expect(all.last()).toEqual({ resources: [], removed: ["b"], version: "v2" });
    expect(named.last()).toEqual({ resources: [], removed: ["b"], version: "v2" });
    // What the named client holds; "b" stays subscribed, known not to exist (ABSENT_RESOURCE_VERSION).
    expect([...named.subscription.returnedResources()].filter(([, v]) => v !== ABSENT_RESOURCE_VERSION).map(([k]) => k)).toEqual(["a"]);

    // A removal a named subscriber does not hold is not its business.
    cache.setSnapshot("n1", createSnapshot("v3", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    expect(all.last()?.removed).toEqual(["c"]);
    expect(named.responses).toHaveLength(2);
  });

  it("subscribing to more names sends just those; wildcard plus names gets everything", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b"), cluster("c")] }));
    const stream = new DeltaStream(cache, CLUSTER_TYPE_URL, ["a"]);
    expect(stream.last()?.resources).toEqual(["a"]);
    stream.change(["b"]);
    expect(stream.last()?.resources).toEqual(["b"]);
    stream.change(["*"]);
    expect(stream.last()?.resources).toEqual(["c"]);
    expect(stream.subscription.isWildcard()).toBe(true);
  });

  it("a reconnecting client's initial versions are honoured", () => {
    const cache = createSnapshotCache();
    const s = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] });
    cache.setSnapshot("n1", s);
    const hashA = s.resources(CLUSTER_TYPE_URL).get("a")?.hash ?? "";
    const stream = new DeltaStream(cache, CLUSTER_TYPE_URL, ["*"], { a: hashA, gone: "old" });
    expect(stream.last()).toEqual({ resources: ["b"], removed: ["gone"], version: "v1" });
  });

  it("answers delta and SotW watches of a node together in ADS order", () => {
    const cache = createSnapshotCache();
    const order: string[] = [];
    const req = (typeUrl: string) => create(DeltaDiscoveryRequestSchema, { typeUrl, node: { id: "n1" } });
    cache.createDeltaWatch(req(LISTENER_TYPE_URL), createSubscription(), (r) => order.push(r.typeUrl));
    cache.createDeltaWatch(req(ENDPOINT_TYPE_URL), createSubscription(), (r) => order.push(r.typeUrl));
    cache.createDeltaWatch(req(CLUSTER_TYPE_URL), createSubscription(), (r) => order.push(r.typeUrl));
    cache.setSnapshot("n1", createSnapshot("v1", {}));
    expect(order).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL]);
  });

  it("cancelled delta watches are dropped and counted down", () => {
    const cache = createSnapshotCache();
    const streams = [new DeltaStream(cache, CLUSTER_TYPE_URL), new DeltaStream(cache, ENDPOINT_TYPE_URL, ["x"])];
    expect(cache.statusInfo("n1")).toMatchObject({ sotwWatches: 0, deltaWatches: 2 });
    for (const stream of streams) stream.cancel();
    expect(cache.statusInfo("n1")).toMatchObject({ sotwWatches: 0, deltaWatches: 0 });
    expect(cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }))).toBe(0);
    expect(streams[0]?.responses).toHaveLength(0);
  });

  it("reports a subscribed name that does not exist once per subscription, not in every answer", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    const stream = new DeltaStream(cache, ENDPOINT_TYPE_URL, ["a", "x"]);
    expect(stream.last()).toEqual({ resources: ["a"], removed: ["x"], version: "v1" });
    expect(stream.subscription.returnedResources().get("x")).toBe(ABSENT_RESOURCE_VERSION);
    // A later change to "a" does not repeat "x".
    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: [create(ClusterLoadAssignmentSchema, { clusterName: "a", policy: {} })] }));
    expect(stream.last()).toEqual({ resources: ["a"], removed: [], version: "v2" });
    // Nor does a snapshot that changes nothing for it.
    cache.setSnapshot("n1", createSnapshot("v3", { [ENDPOINT_TYPE_URL]: [create(ClusterLoadAssignmentSchema, { clusterName: "a", policy: {} })] }));
    expect(stream.responses).toHaveLength(2);
  });

  it("reports a name again only after it was created and deleted", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    const stream = new DeltaStream(cache, ENDPOINT_TYPE_URL, ["a", "x"]);
    expect(stream.last()?.removed).toEqual(["x"]);
    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("x")] }));
    expect(stream.last()).toEqual({ resources: ["x"], removed: [], version: "v2" });
    cache.setSnapshot("n1", createSnapshot("v3", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    expect(stream.last()).toEqual({ resources: [], removed: ["x"], version: "v3" });
    // absent: the removed names the client never held (the first report), not a deletion.
    expect(stream.responses.map((r) => r.absent)).toEqual([["x"], [], []]);
    cache.setSnapshot("n1", createSnapshot("v4", { [ENDPOINT_TYPE_URL]: [create(ClusterLoadAssignmentSchema, { clusterName: "a", policy: {} })] }));
    expect(stream.last()).toEqual({ resources: ["a"], removed: [], version: "v4" });
    expect(stream.responses).toHaveLength(4);
  });

  it("reports a name again when the client subscribes to it again, and when the report was never sent", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    const stream = new DeltaStream(cache, ENDPOINT_TYPE_URL, ["x"]);
    expect(stream.last()?.removed).toEqual(["x"]);
    // The server forgets what the client held of names it subscribes to again.
    stream.subscription.updateReturnedResources([], ["x"]);
    stream.change(["x"]);
    expect(stream.last()?.removed).toEqual(["x"]);
    expect(stream.responses).toHaveLength(2);

    // A response the server dropped before sending (a newer request came first) was never
    // recorded in the subscription: the next watch reports the name again.
    const subscription = createSubscription({ resourceNames: ["y"] });
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node: { id: "n1" } });
    const dropped: DeltaResponse[] = [];
    cache.createDeltaWatch(request, subscription, (response) => dropped.push(response));
    expect(dropped[0]?.removed).toEqual(["y"]);
    const sent: DeltaResponse[] = [];
    cache.createDeltaWatch(request, subscription, (response) => sent.push(response));
    expect(sent[0]?.removed).toEqual(["y"]);
  });

  it("a wildcard subscription is never told about names it did not hold", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const stream = new DeltaStream(cache, CLUSTER_TYPE_URL, ["*", "x"]);
    expect(stream.last()).toEqual({ resources: ["a"], removed: [], version: "v1" });
    stream.change(["y"]);
    expect(stream.responses).toHaveLength(1);
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] }));
    expect(stream.last()).toEqual({ resources: ["b"], removed: [], version: "v2" });
    // Names told absent before the stream turned wildcard are not removed again.
    const named = new DeltaStream(cache, CLUSTER_TYPE_URL, ["z"]);
    expect(named.last()?.removed).toEqual(["z"]);
    named.change(["*"]);
    expect(named.last()).toEqual({ resources: ["a", "b"], removed: [], version: "v2" });
  });

  it("a wildcard stream already answered gets no empty response for a request that changes nothing", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const subscription = createSubscription();
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, node: { id: "n1" }, responseNonce: "" });
    const got: DeltaResponse[] = [];
    cache.createDeltaWatch(request, subscription, (response) => got.push(response));
    expect(got).toHaveLength(1);
    subscription.recordDeltaResponse(got[0]?.resources ?? [], got[0]?.removed ?? []);
    // Envoy sends subscription changes without a nonce; this one changes nothing the client holds.
    subscription.updateResourceNames(["not-there"], []);
    cache.createDeltaWatch(request, subscription, (response) => got.push(response));
    expect(got).toHaveLength(1);
    expect(cache.statusInfo("n1")?.deltaWatches).toBe(1);
    // An empty snapshot type still answers a never-answered wildcard stream at once.
    const fresh = new DeltaStream(cache, SECRET_TYPE_URL);
    expect(fresh.last()).toEqual({ resources: [], removed: [], version: "v1" });
  });

  it("delta responses keep resource TTLs for the server to wrap", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }, { ttlMs: { [CLUSTER_TYPE_URL]: { a: 30_000 } } }));
    const stream = new DeltaStream(cache, CLUSTER_TYPE_URL);
    expect(stream.responses[0]?.resources[0]?.ttlMs).toBe(30_000);
  });
});
