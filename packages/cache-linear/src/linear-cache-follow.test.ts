import { create } from "@bufbuild/protobuf";
import { createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, prepareResource, type SotwResponse } from "@xdskit/cache-core";
import { createLinearCache, followLinearCache, type LinearCache, type LinearCacheChange, LinearCacheError } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// A follower built from a leading cache's state at any point, then given the changes that
// followed (structured-cloned, as node:cluster's IPC does), must equal the leader: same
// resources, bytes, hashes, versions and errors, and the same answers to the same watches.

const NAMES = ["a", "b", "ns/x", "ns/y", "xdstp://auth/envoy.config.endpoint.v3.ClusterLoadAssignment/c/z"] as const;
const cla = (name: string, content: number) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: content + 1 }] });

type Op =
  | { t: "update"; n: number; c: number; ttl: boolean }
  | { t: "delete"; n: number }
  | { t: "batch"; ups: [number, number][]; dels: number[] }
  | { t: "set"; items: [number, number][] }
  | { t: "error"; n: number; code: number | undefined }
  | { t: "follow" };

const nameIdx = fc.nat({ max: NAMES.length - 1 });
const content = fc.nat({ max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("update" as const), n: nameIdx, c: content, ttl: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("delete" as const), n: nameIdx }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ups: fc.array(fc.tuple(nameIdx, content), { maxLength: 3 }),
      dels: fc.array(nameIdx, { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("set" as const), items: fc.array(fc.tuple(nameIdx, content), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("error" as const), n: nameIdx, code: fc.option(fc.constantFrom(3, 5), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("follow" as const) }) },
);

function run(leader: LinearCache, op: Exclude<Op, { t: "follow" }>): void {
  const name = (n: number) => NAMES[n] ?? "a";
  switch (op.t) {
    case "update":
      leader.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla(name(op.n), op.c), op.ttl ? { ttlMs: 30_000 } : {}));
      return;
    case "delete":
      leader.deleteResource(name(op.n));
      return;
    case "batch":
      leader.updateResources(
        op.ups.map(([n, c]) => cla(name(n), c)),
        op.dels.map(name),
      );
      return;
    case "set":
      leader.setResources(new Map(op.items.map(([n, c]) => [name(n), cla(name(n), c)] as const)).values());
      return;
    case "error":
      leader.setResourceError(name(op.n), op.code === undefined ? undefined : { code: op.code, message: `e${op.code}` });
      return;
  }
}

function view(cache: LinearCache) {
  return {
    version: cache.version(),
    resources: [...cache.getResources()].map(([name, r]) => [name, r.hash, Buffer.from(r.bytes).toString("hex"), r.ttlMs]),
    errors: [...cache.getResourceErrors()],
    state: cache.feedState(),
  };
}

// What a fresh delta client subscribing to `names` (holding `held`) and a SotW client at `version` get.
function answers(cache: LinearCache, version: string) {
  const out: unknown[] = [];
  for (const names of [[], ["a", "ns/*", "missing"], [...NAMES]]) {
    const held = new Map([["a", "stale"], ["b", cache.getResource("b")?.hash ?? "gone"]]);
    const sub = createSubscription({ resourceNames: names, returnedResources: held });
    let delta: DeltaResponse | undefined;
    const cancel = cache.createDeltaWatch(
      create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: names }),
      sub,
      (r) => {
        delta = r;
      },
    );
    cancel();
    out.push(delta === undefined ? "open" : [delta.systemVersion, delta.resources.map((r) => [r.name, r.hash]), [...delta.removed], delta.errors]);
    let sotw: SotwResponse | undefined;
    const request = create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNames: names, versionInfo: version });
    cache.createWatch(request, createSubscription({ resourceNames: names }), (r) => {
      sotw = r;
    })();
    out.push(sotw === undefined ? "open" : [sotw.version, sotw.resources.map((r) => [r.name, r.hash, r.ttlMs]), sotw.errors]);
  }
  return out;
}

describe("followLinearCache", () => {
  it("equals its leader after any sequence of updates, deletes and errors, from any starting point", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.boolean(), (ops, withInitial) => {
        const leader = createLinearCache({
          schema: ClusterLoadAssignmentSchema,
          versionPrefix: "v",
          ...(withInitial ? { initialResources: [cla("a", 0), cla("ns/x", 1)] } : {}),
        });
        const followers = [{ cache: followLinearCache(structuredClone(leader.feedState())), at: leader.version() }];
        leader.onChange((change) => {
          const copy = structuredClone(change);
          for (const { cache } of followers) cache.applyChange(copy);
        });
        const versions = [leader.version()];
        for (const op of ops) {
          if (op.t === "follow") followers.push({ cache: followLinearCache(structuredClone(leader.feedState())), at: leader.version() });
          else run(leader, op);
          versions.push(leader.version());
        }
        const expected = view(leader);
        for (const { cache } of followers) expect(view(cache)).toEqual(expected);
        for (const version of [versions[0] ?? "", versions[Math.floor(versions.length / 2)] ?? "", leader.version()]) {
          const want = answers(leader, version);
          for (const { cache } of followers) expect(answers(cache, version)).toEqual(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("answers its own watches as changes arrive, with the leader's versions and hashes", () => {
    const initial = prepareResource(ClusterLoadAssignmentSchema, cla("a", 0));
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, initialResources: [initial] });
    const follower = followLinearCache(leader.feedState());
    leader.onChange((change) => follower.applyChange(change));
    const got: DeltaResponse[] = [];
    // A client that holds what the leader served is not re-sent it by the follower.
    follower.createDeltaWatch(
      create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["a"] }),
      createSubscription({ resourceNames: ["a"], returnedResources: { a: initial.hash } }),
      (r) => got.push(r),
    );
    expect(got).toHaveLength(0);
    const resource = prepareResource(ClusterLoadAssignmentSchema, cla("a", 1));
    leader.updateResource(resource);
    expect(got.map((r) => [r.systemVersion, r.resources.map((x) => [x.name, x.hash])])).toEqual([[leader.version(), [["a", resource.hash]]]]);
  });

  it("refuses a change out of order and direct updates, naming the counter", () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    const changes: LinearCacheChange[] = [];
    leader.onChange((change) => changes.push(change));
    const follower = followLinearCache(leader.feedState());
    leader.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla("a", 0)));
    leader.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla("a", 1)));
    const [first, second] = changes;
    if (first === undefined || second === undefined) throw new Error("two changes expected");
    expect(() => follower.applyChange(second)).toThrow(/given a change at 2.*field "counter"/);
    follower.applyChange(first);
    expect(() => follower.applyChange(first)).toThrow(LinearCacheError);
    follower.applyChange(second);
    expect(follower.getResource("a")?.hash).toBe(leader.getResource("a")?.hash);
    expect(() => follower.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla("b", 0)))).toThrow(/follower changes only through applyChange/);
  });

  it("stops calling a listener once cancelled, and survives one that throws", () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    const seen: number[] = [];
    leader.onChange(() => {
      throw new Error("boom");
    });
    const cancel = leader.onChange((change) => seen.push(change.counter));
    leader.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla("a", 0)));
    cancel();
    leader.updateResource(prepareResource(ClusterLoadAssignmentSchema, cla("a", 1)));
    expect(seen).toEqual([1]);
    expect(leader.version()).toBe("2");
  });
});
