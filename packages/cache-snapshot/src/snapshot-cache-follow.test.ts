import { create } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  createSubscription,
  type DeltaResponse,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  prepareResource,
  type SotwResponse,
} from "@xdskit/cache-core";
import {
  createSnapshot,
  createSnapshotCache,
  followSnapshotCache,
  type Snapshot,
  type SnapshotCache,
  type SnapshotCacheChange,
  type SnapshotCacheFollower,
} from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// A follower built from a leading snapshot cache's state at any point, then given the changes
// that followed (structured-cloned, as node:cluster's IPC does), serves what the leader serves.

const NODES = ["n1", "n2", "n3"] as const;
const CLUSTERS = ["c1", "c2", "c3"] as const;
const TYPES = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL] as const;

interface SnapshotSpec {
  version: string;
  perType: boolean;
  clusters: [number, number][];
  ttl: boolean;
  error: boolean;
}
type Op = { t: "set"; nodes: number[]; spec: SnapshotSpec } | { t: "clear"; node: number } | { t: "follow" };

const specArb: fc.Arbitrary<SnapshotSpec> = fc.record({
  version: fc.constantFrom("v1", "v2", "v3"),
  perType: fc.boolean(),
  clusters: fc.uniqueArray(fc.tuple(fc.nat({ max: CLUSTERS.length - 1 }), fc.nat({ max: 2 })), { maxLength: 3, selector: ([c]) => c }),
  ttl: fc.boolean(),
  error: fc.boolean(),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("set" as const), nodes: fc.uniqueArray(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }), spec: specArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("clear" as const), node: fc.nat({ max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("follow" as const) }) },
);

function snapshotOf(spec: SnapshotSpec): Snapshot {
  const clusters = spec.clusters.map(([c, timeout]) => create(ClusterSchema, { name: CLUSTERS[c] ?? "c1", connectTimeout: { seconds: BigInt(timeout + 1) } }));
  const endpoints = spec.clusters.map(([c, weight]) => {
    const cla = create(ClusterLoadAssignmentSchema, { clusterName: CLUSTERS[c] ?? "c1", endpoints: [{ loadBalancingWeight: weight + 1 }] });
    return spec.ttl ? prepareResource(ClusterLoadAssignmentSchema, cla, { ttlMs: 5_000 }) : cla;
  });
  const version = spec.perType ? { [CLUSTER_TYPE_URL]: `${spec.version}c`, [ENDPOINT_TYPE_URL]: `${spec.version}e` } : spec.version;
  return createSnapshot(
    version,
    { [CLUSTER_TYPE_URL]: clusters, [ENDPOINT_TYPE_URL]: endpoints },
    spec.error ? { errors: { [ENDPOINT_TYPE_URL]: { c3: { code: 5, message: "gone" }, c1: { code: 3, message: "bad" } } } } : {},
  );
}

function view(cache: SnapshotCache) {
  return NODES.map((node) => {
    const snapshot = cache.getSnapshot(node);
    if (snapshot === undefined) return undefined;
    return snapshot.typeUrls().map((typeUrl) => [
      typeUrl,
      snapshot.version(typeUrl),
      [...snapshot.resources(typeUrl).values()].map((r) => [r.name, r.hash, r.ttlMs]),
      [...snapshot.resourceErrors(typeUrl)],
    ]);
  });
}

// What a fresh SotW and delta client of each node and type is answered (or that it waits).
function answers(cache: SnapshotCache) {
  const out: unknown[] = [];
  for (const id of NODES) {
    for (const typeUrl of TYPES) {
      const names = typeUrl === ENDPOINT_TYPE_URL ? ["c1", "c3"] : [];
      let sotw: SotwResponse | undefined;
      const request = create(DiscoveryRequestSchema, { typeUrl, node: { id }, resourceNames: names });
      cache.createWatch(request, createSubscription({ resourceNames: names }), (r) => {
        sotw = r;
      })();
      out.push(sotw === undefined ? "open" : [sotw.version, sotw.resources.map((r) => [r.name, r.hash]), sotw.errors]);
      let delta: DeltaResponse | undefined;
      const deltaRequest = create(DeltaDiscoveryRequestSchema, { typeUrl, node: { id }, resourceNamesSubscribe: names });
      cache.createDeltaWatch(deltaRequest, createSubscription({ resourceNames: names, returnedResources: { c2: "old" } }), (r) => {
        delta = r;
      })();
      out.push(delta === undefined ? "open" : [delta.systemVersion, delta.resources.map((r) => [r.name, r.hash]), [...delta.removed], delta.errors]);
    }
  }
  return out;
}

describe("followSnapshotCache", () => {
  it("serves what its leader serves after any sequence of sets and clears, from any starting point", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), (ops) => {
        const leader = createSnapshotCache({ ads: true });
        const followers = [followSnapshotCache(structuredClone(leader.feedState()), { ads: true })];
        leader.onChange((change) => {
          const copy = structuredClone(change);
          for (const follower of followers) follower.applyChange(copy);
        });
        for (const op of ops) {
          if (op.t === "follow") followers.push(followSnapshotCache(structuredClone(leader.feedState()), { ads: true }));
          else if (op.t === "clear") leader.clearSnapshot(NODES[op.node] ?? "n1");
          else {
            const snapshot = snapshotOf(op.spec);
            for (const node of op.nodes) leader.setSnapshot(NODES[node] ?? "n1", snapshot);
          }
        }
        const expected = view(leader);
        const answered = answers(leader);
        for (const follower of followers) {
          expect(view(follower)).toEqual(expected);
          expect(answers(follower)).toEqual(answered);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("answers its own open watches when a change arrives, and sends one snapshot's data once per set", () => {
    const leader = createSnapshotCache();
    const changes: SnapshotCacheChange[] = [];
    const follower = followSnapshotCache(leader.feedState());
    leader.onChange((change) => {
      changes.push(change);
      follower.applyChange(structuredClone(change));
    });
    const got: SotwResponse[] = [];
    follower.createWatch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, node: { id: "n1" } }), createSubscription(), (r) => got.push(r));
    const snapshot = snapshotOf({ version: "v9", perType: false, clusters: [[0, 1]], ttl: false, error: false });
    leader.setSnapshot("n1", snapshot);
    leader.setSnapshot("n2", snapshot);
    expect(got.map((r) => [r.version, r.resources.map((x) => [x.name, x.hash])])).toEqual([
      ["v9", [["c1", snapshot.resources(CLUSTER_TYPE_URL).get("c1")?.hash]]],
    ]);
    const [first, second] = changes;
    expect(first?.kind === "set" && second?.kind === "set" && first.snapshot === second.snapshot).toBe(true);
    // Both node keys hold one rebuilt snapshot.
    expect(follower.getSnapshot("n1")).toBe(follower.getSnapshot("n2"));
  });

  it("refuses direct changes on a follower and applyChange on a leader", () => {
    const leader = createSnapshotCache();
    const follower = followSnapshotCache(leader.feedState());
    expect(() => follower.setSnapshot("n1", createSnapshot("v1", {}))).toThrow(/follower changes only through applyChange/);
    expect(() => follower.clearSnapshot("n1")).toThrow(/follower/);
    // The leader's type has no applyChange; its object refuses one all the same.
    expect(() => (leader as unknown as SnapshotCacheFollower).applyChange({ kind: "clear", node: "n1" })).toThrow(/not a follower/);
  });
});
