import { describe, expect, it } from "vitest";
import { ABSENT_RESOURCE_VERSION, type CachedResource, createSubscription, isSubscribed, WILDCARD_RESOURCE_NAME } from "@xdskit/cache-core";

const names = (s: { resourceNames(): ReadonlySet<string> }) => [...s.resourceNames()].sort();

describe("createSubscription (SotW)", () => {
  it("an empty first request is a legacy wildcard, kept while requests stay empty", () => {
    const s = createSubscription({ resourceNames: [] });
    expect(s.isWildcard()).toBe(true);
    expect(s.isLegacyWildcard()).toBe(true);
    s.setResourceNames([]);
    expect(s.isWildcard()).toBe(true);
    expect(s.isLegacyWildcard()).toBe(true);
  });

  it("names end a legacy wildcard; an empty request afterwards means nothing", () => {
    const s = createSubscription();
    s.setResourceNames(["a", "b"]);
    expect(s.isWildcard()).toBe(false);
    expect(s.isLegacyWildcard()).toBe(false);
    expect(names(s)).toEqual(["a", "b"]);
    s.setResourceNames([]);
    expect(s.isWildcard()).toBe(false);
    expect(names(s)).toEqual([]);
  });

  it('"*" is an explicit wildcard alongside names, and is dropped when a request omits it', () => {
    const s = createSubscription({ resourceNames: ["*", "a"] });
    expect(s.isWildcard()).toBe(true);
    expect(s.isLegacyWildcard()).toBe(false);
    expect(names(s)).toEqual(["a"]);
    expect(s.resourceNames().has(WILDCARD_RESOURCE_NAME)).toBe(false);
    s.setResourceNames(["b"]);
    expect(s.isWildcard()).toBe(false);
    expect(names(s)).toEqual(["b"]);
  });

  it("without allowLegacyWildcard an empty first request subscribes to nothing", () => {
    const s = createSubscription({ resourceNames: [], allowLegacyWildcard: false });
    expect(s.isWildcard()).toBe(false);
    expect(s.isLegacyWildcard()).toBe(false);
    expect(isSubscribed(s, "a")).toBe(false);
  });
});

describe("createSubscription (delta)", () => {
  it("a legacy wildcard becomes explicit on the first change and lasts until '*' is unsubscribed", () => {
    const s = createSubscription({ resourceNames: [] });
    s.updateResourceNames([], []);
    expect(s.isLegacyWildcard()).toBe(true);
    s.updateResourceNames(["a"], []);
    expect(s.isWildcard()).toBe(true);
    expect(s.isLegacyWildcard()).toBe(false);
    expect(names(s)).toEqual(["a"]);
    s.updateResourceNames([], ["*"]);
    expect(s.isWildcard()).toBe(false);
    expect(names(s)).toEqual(["a"]);
  });

  it("subscribes and unsubscribes names incrementally", () => {
    const s = createSubscription({ resourceNames: ["a", "b"] });
    s.updateResourceNames(["c", "*"], ["a"]);
    expect(names(s)).toEqual(["b", "c"]);
    expect(s.isWildcard()).toBe(true);
    s.updateResourceNames([], ["b", "c", "zzz"]);
    expect(names(s)).toEqual([]);
    expect(isSubscribed(s, "anything")).toBe(true);
  });
});

describe("returned resources", () => {
  it("start from a record (initial_resource_versions) or a map, and are copied", () => {
    const initial = { a: "v1", b: "v2" };
    const s = createSubscription({ resourceNames: ["a"], returnedResources: initial });
    expect(s.returnedResources()).toEqual(new Map([["a", "v1"], ["b", "v2"]]));
    const map = new Map([["x", "1"]]);
    const t = createSubscription({ returnedResources: map });
    map.set("y", "2");
    expect(t.returnedResources()).toEqual(new Map([["x", "1"]]));
    expect(createSubscription().returnedResources().size).toBe(0);
  });

  it("are replaced (SotW) or updated (delta) by the server", () => {
    const s = createSubscription({ returnedResources: { a: "1", b: "1" } });
    s.updateReturnedResources([["a", "2"], ["c", "1"]], ["b"]);
    expect(s.returnedResources()).toEqual(new Map([["a", "2"], ["c", "1"]]));
    s.updateReturnedResources([["d", "1"]]);
    expect(s.returnedResources().get("d")).toBe("1");
    const next = new Map([["z", "9"]]);
    s.setReturnedResources(next);
    expect(s.returnedResources()).toBe(next);
  });

  it("a map given to setReturnedResources is shared as is and never changed: updates copy it first", () => {
    const shared = new Map([["a", "1"], ["b", "1"]]);
    const s = createSubscription();
    const t = createSubscription();
    s.setReturnedResources(shared);
    t.setReturnedResources(shared);
    s.updateReturnedResources([["c", "1"]], ["a"]);
    expect(s.returnedResources()).toEqual(new Map([["b", "1"], ["c", "1"]]));
    expect(shared).toEqual(new Map([["a", "1"], ["b", "1"]]));
    expect(t.returnedResources()).toBe(shared);
  });

  it("a delta response is recorded as its changes: sent resources at their hash, removed names forgotten or absent", () => {
    const a = { name: "a", hash: "ha" } as CachedResource;
    const b = { name: "b", hash: "hb" } as CachedResource;
    const s = createSubscription({ resourceNames: ["a", "b", "x"], returnedResources: { b: "old", y: "held", z: "kept" } });
    expect(s.answered()).toBe(false);
    s.recordDeltaResponse([a, b], ["x", "y"]);
    expect(s.answered()).toBe(true);
    // x is subscribed by name: remembered as told absent; y is not: forgotten; z untouched.
    expect(s.returnedResources()).toEqual(new Map([["a", "ha"], ["b", "hb"], ["x", ABSENT_RESOURCE_VERSION], ["z", "kept"]]));
    const shared = new Map([["a", "ha"]]);
    s.setReturnedResources(shared);
    s.recordDeltaResponse([b], []);
    expect(shared).toEqual(new Map([["a", "ha"]]));
    expect(s.returnedResources()).toEqual(new Map([["a", "ha"], ["b", "hb"]]));
  });
});

describe("namesRevision", () => {
  it("changes when the names or the wildcard change, not when a SotW request repeats them or returned resources change", () => {
    const s = createSubscription({ resourceNames: ["a", "b"] });
    const r0 = s.namesRevision();
    s.setResourceNames(["a", "b"]);
    s.setResourceNames(["b", "a"]);
    s.setReturnedResources(new Map([["a", "1"]]));
    s.updateReturnedResources([["b", "1"]]);
    expect(s.namesRevision()).toBe(r0);
    s.setResourceNames(["a", "b", "c"]);
    const r1 = s.namesRevision();
    expect(r1).not.toBe(r0);
    s.setResourceNames(["a", "b", "c", "*"]);
    expect(s.isWildcard()).toBe(true);
    const r2 = s.namesRevision();
    expect(r2).not.toBe(r1);
    s.updateResourceNames([], []);
    expect(s.namesRevision()).toBe(r2);
    s.updateResourceNames(["d"], []);
    expect(s.namesRevision()).not.toBe(r2);
  });

  it("a repeated name is not mistaken for the same names", () => {
    const s = createSubscription({ resourceNames: ["a", "b"] });
    const r0 = s.namesRevision();
    s.setResourceNames(["a", "a"]);
    expect([...s.resourceNames()]).toEqual(["a"]);
    expect(s.namesRevision()).not.toBe(r0);
  });
});

describe("answered", () => {
  it("is false until the server records a response (setReturnedResources or recordDeltaResponse)", () => {
    const s = createSubscription({ returnedResources: { a: "1" } });
    expect(s.answered()).toBe(false);
    // Forgetting names on a subscription change is not an answer.
    s.updateReturnedResources([], ["a"]);
    s.updateResourceNames(["b"], []);
    expect(s.answered()).toBe(false);
    s.setReturnedResources(new Map());
    expect(s.answered()).toBe(true);
    s.updateResourceNames(["c"], ["b"]);
    expect(s.answered()).toBe(true);
  });

  it("names told absent keep the empty version", () => {
    const s = createSubscription({ resourceNames: ["gone"] });
    s.setReturnedResources(new Map([["gone", ABSENT_RESOURCE_VERSION]]));
    expect(ABSENT_RESOURCE_VERSION).toBe("");
    expect(s.returnedResources().get("gone")).toBe("");
  });
});

describe("isSubscribed", () => {
  it("is true for wildcard or an explicitly named resource", () => {
    expect(isSubscribed(createSubscription({ resourceNames: ["a"] }), "a")).toBe(true);
    expect(isSubscribed(createSubscription({ resourceNames: ["a"] }), "b")).toBe(false);
    expect(isSubscribed(createSubscription(), "b")).toBe(true);
  });
});

describe("subscriptions of the same names share one set", () => {
  const list = Array.from({ length: 100 }, (_, i) => `cluster-${String(i).padStart(3, "0")}`);

  it("SotW and delta subscriptions of the same list share one set; changing one copies it first", () => {
    const a = createSubscription({ resourceNames: ["x"] });
    const b = createSubscription();
    const c = createSubscription({ resourceNames: list });
    a.setResourceNames(list);
    b.setResourceNames([...list]);
    expect(b.resourceNames()).toBe(a.resourceNames());
    expect(c.resourceNames()).toBe(a.resourceNames());
    const shared = a.resourceNames();

    // A delta update changes its own copy, never the set the others hold.
    c.updateResourceNames(["extra"], ["cluster-000"]);
    expect(c.resourceNames()).not.toBe(shared);
    expect(c.resourceNames().has("extra")).toBe(true);
    expect(c.resourceNames().has("cluster-000")).toBe(false);
    expect(shared.size).toBe(100);
    expect(shared.has("extra")).toBe(false);
    expect(names(a)).toEqual(list);
    expect(names(b)).toEqual(list);

    // A new list of names for one SotW subscription leaves the others' set as it was.
    a.setResourceNames(list.slice(1));
    expect(a.resourceNames().size).toBe(99);
    expect(b.resourceNames()).toBe(shared);
    expect(shared.size).toBe(100);
  });

  it("lists that differ, or that join to the same text, are not confused", () => {
    const split = [...list.slice(0, 20), "a", "b"];
    const joined = [...list.slice(0, 20), "a\nb"];
    const s1 = createSubscription({ resourceNames: split });
    const s2 = createSubscription({ resourceNames: joined });
    expect(s2.resourceNames()).not.toBe(s1.resourceNames());
    expect(s1.resourceNames().has("a")).toBe(true);
    expect(s2.resourceNames().has("a")).toBe(false);
    expect(s2.resourceNames().has("a\nb")).toBe(true);
    const other = createSubscription({ resourceNames: list.slice(0, 50) });
    expect(other.resourceNames()).not.toBe(createSubscription({ resourceNames: list }).resourceNames());
  });

  it("a list that is not the shared set's members in order gets its own names, spelled as caches hold them", () => {
    const held = createSubscription({ resourceNames: list });
    const shared = held.resourceNames();
    const T = "envoy.config.cluster.v3.Cluster";
    const xdstp = Array.from({ length: 20 }, (_, i) => `xdstp://auth/${T}/c${i}?k1=v&k2=v`);
    createSubscription({ resourceNames: xdstp }); // shares the canonical spelling
    const spelledOtherwise = createSubscription({ resourceNames: xdstp.map((n) => n.replace("?k1=v&k2=v", "?k2=v&k1=v")) });
    expect(names(spelledOtherwise)).toEqual([...xdstp].sort());
    const repeated = createSubscription({ resourceNames: [...list, "cluster-000"] });
    expect(repeated.resourceNames().size).toBe(100);
    expect(repeated.resourceNames()).toBe(shared);
    const withWildcard = createSubscription({ resourceNames: [...list.slice(0, 99), "*"] });
    expect(withWildcard.isWildcard()).toBe(true);
    expect(withWildcard.resourceNames().size).toBe(99);
    const reordered = createSubscription({ resourceNames: [...list].reverse() });
    expect(names(reordered)).toEqual(list);
    expect(shared.size).toBe(100);
  });

  it("an ACK repeating the names, in their order or another, changes nothing; a changed name does", () => {
    const s = createSubscription({ resourceNames: list });
    const r0 = s.namesRevision();
    s.setResourceNames([...list]);
    s.setResourceNames([...list].reverse());
    expect(s.namesRevision()).toBe(r0);
    s.setResourceNames([...list.slice(0, 99), "cluster-100"]);
    expect(s.namesRevision()).toBe(r0 + 1);
    expect(s.resourceNames().has("cluster-100")).toBe(true);
    expect(s.resourceNames().has("cluster-099")).toBe(false);
    s.setResourceNames([...list.slice(0, 99), "cluster-100", "*"]);
    expect(s.isWildcard()).toBe(true);
    expect(s.namesRevision()).toBe(r0 + 2);
  });

  it("a short list is a set of the subscription's own", () => {
    const s1 = createSubscription({ resourceNames: ["a", "b"] });
    const s2 = createSubscription({ resourceNames: ["a", "b"] });
    expect(s2.resourceNames()).not.toBe(s1.resourceNames());
    s2.updateResourceNames(["c"], []);
    expect(names(s1)).toEqual(["a", "b"]);
  });
});
