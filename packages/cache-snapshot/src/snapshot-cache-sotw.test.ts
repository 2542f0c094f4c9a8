import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  createSubscription,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  type Logger,
  ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
  type SotwResponse,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, SnapshotError, type SnapshotResources } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const clusters = (...names: string[]) => names.map((name) => create(ClusterSchema, { name }));
const assignments = (...names: string[]) => names.map((clusterName) => create(ClusterLoadAssignmentSchema, { clusterName }));
const listeners = (...names: string[]) => names.map((name) => create(ListenerSchema, { name }));
const routeConfigs = (...names: string[]) => names.map((name) => create(RouteConfigurationSchema, { name }));

function request(typeUrl: string, opts: { node?: string; version?: string; names?: string[] } = {}) {
  return create(DiscoveryRequestSchema, {
    typeUrl,
    node: { id: opts.node ?? "n1" },
    versionInfo: opts.version ?? "",
    resourceNames: opts.names ?? [],
  });
}

/** Opens a SotW watch the way a server does: the subscription follows the request's names. */
function watch(
  cache: ReturnType<typeof createSnapshotCache>,
  typeUrl: string,
  opts: { node?: string; version?: string; names?: string[]; returned?: Record<string, string> } = {},
) {
  const got: SotwResponse[] = [];
  const subscription = createSubscription({ resourceNames: opts.names ?? [] });
  if (opts.returned !== undefined) subscription.setReturnedResources(new Map(Object.entries(opts.returned)));
  const cancel = cache.createWatch(request(typeUrl, opts), subscription, (response) => got.push(response));
  return { got, cancel, subscription };
}

const names = (response: SotwResponse | undefined) => response?.resources.map((r) => r.name);

function snapshot(version: string, resources: SnapshotResources) {
  return createSnapshot(version, resources);
}

describe("SnapshotCache SotW", () => {
  it("answers at once when the client's version differs, and not when it matches", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a", "b") }));
    const fresh = watch(cache, CLUSTER_TYPE_URL);
    expect(fresh.got).toHaveLength(1);
    expect(fresh.got[0]).toMatchObject({ version: "v1", typeUrl: CLUSTER_TYPE_URL, heartbeat: false });
    expect(names(fresh.got[0])).toEqual(["a", "b"]);
    const current = watch(cache, CLUSTER_TYPE_URL, { version: "v1" });
    expect(current.got).toHaveLength(0);
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(1);
  });

  it("a pending watch is answered by the snapshot that makes it answerable", () => {
    const cache = createSnapshotCache();
    const pending = watch(cache, CLUSTER_TYPE_URL);
    expect(pending.got).toHaveLength(0);
    expect(cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }))).toBe(1);
    expect(pending.got.map((r) => r.version)).toEqual(["v1"]);
    // Answered watches are gone; the same snapshot again answers nothing.
    expect(cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }))).toBe(0);
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(0);
  });

  it("only touches the watches of the node whose snapshot is set", () => {
    const cache = createSnapshotCache();
    const one = watch(cache, CLUSTER_TYPE_URL, { node: "n1" });
    const two = watch(cache, CLUSTER_TYPE_URL, { node: "n2" });
    cache.setSnapshot("n2", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }));
    expect(one.got).toHaveLength(0);
    expect(two.got).toHaveLength(1);
  });

  it("full-state and wildcard watches get every resource; named watches get the names that exist", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot(
      "n1",
      snapshot("v1", {
        [CLUSTER_TYPE_URL]: clusters("a", "b"),
        [ENDPOINT_TYPE_URL]: assignments("a", "b", "c"),
        [LISTENER_TYPE_URL]: listeners("l1", "l2"),
      }),
    );
    expect(names(watch(cache, CLUSTER_TYPE_URL).got[0])).toEqual(["a", "b"]);
    expect(names(watch(cache, LISTENER_TYPE_URL, { names: ["*"] }).got[0])).toEqual(["l1", "l2"]);
    expect(names(watch(cache, ENDPOINT_TYPE_URL, { names: ["c", "a", "zz"] }).got[0])).toEqual(["c", "a"]);
    expect(names(watch(cache, CLUSTER_TYPE_URL, { names: ["b"] }).got[0])).toEqual(["b"]);
  });

  it("a watch naming every resource of the type gets them all", () => {
    const cache = createSnapshotCache({ ads: true });
    cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a", "b") }));
    const eds = watch(cache, ENDPOINT_TYPE_URL, { names: ["b", "a"] });
    expect(names(eds.got[0])?.sort()).toEqual(["a", "b"]);
  });

  it("answers a new name at an unchanged version when it exists, and not a name already sent", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a", "b") }));
    const sentA = { a: "v1" };
    const more = watch(cache, ENDPOINT_TYPE_URL, { version: "v1", names: ["a", "b"], returned: sentA });
    expect(names(more.got[0])).toEqual(["a", "b"]);
    const same = watch(cache, ENDPOINT_TYPE_URL, { version: "v1", names: ["a"], returned: sentA });
    expect(same.got).toHaveLength(0);
    const absent = watch(cache, ENDPOINT_TYPE_URL, { version: "v1", names: ["a", "nope"], returned: sentA });
    expect(absent.got).toHaveLength(0);
    // Re-subscribing to a name the server forgot it sent (client re-added it) is answered.
    const resubscribe = watch(cache, ENDPOINT_TYPE_URL, { version: "v1", names: ["a"], returned: {} });
    expect(names(resubscribe.got[0])).toEqual(["a"]);
  });

  it("a snapshot keeping a type's version and names answers none of its watches; one adding a name at that version does", () => {
    const cache = createSnapshotCache({ ads: true });
    cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a", "b") }));
    const current = watch(cache, ENDPOINT_TYPE_URL, { version: "v1", names: ["a", "b"], returned: { a: "h", b: "h" } });
    const held = watch(cache, ENDPOINT_TYPE_URL, { names: ["a", "c"] });
    expect([current.got.length, held.got.length]).toEqual([0, 0]);
    // New resource objects, same version and names (a cluster-only update, say).
    expect(cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("b", "a") }))).toBe(0);
    expect(cache.setSnapshot("n1", cache.getSnapshot("n1") as ReturnType<typeof snapshot>)).toBe(0);
    // Same version, one more name: the held watch now has everything it asked for.
    expect(cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a", "b", "c") }))).toBe(1);
    expect(names(held.got[0])).toEqual(["a", "c"]);
    expect(current.got).toHaveLength(0);
    // Same names, another version.
    cache.setSnapshot("n1", snapshot("v2", { [ENDPOINT_TYPE_URL]: assignments("a", "b", "c") }));
    expect(names(current.got[0])).toEqual(["a", "b"]);
    // A type the previous snapshot did not serve is checked in full.
    const eds = { [ENDPOINT_TYPE_URL]: assignments("a", "b", "c") };
    cache.setSnapshot("n1", createSnapshot({ [ENDPOINT_TYPE_URL]: "v2" }, eds));
    const cds = watch(cache, CLUSTER_TYPE_URL);
    expect(cds.got).toHaveLength(0);
    cache.setSnapshot("n1", createSnapshot({ [ENDPOINT_TYPE_URL]: "v2", [CLUSTER_TYPE_URL]: "v1" }, { ...eds, [CLUSTER_TYPE_URL]: clusters("x") }));
    expect(names(cds.got[0])).toEqual(["x"]);
  });

  it("without ADS, a named watch is answered with the names that exist", () => {
    const cache = createSnapshotCache();
    const eds = watch(cache, ENDPOINT_TYPE_URL, { names: ["a", "b"] });
    cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a") }));
    expect(names(eds.got[0])).toEqual(["a"]);
  });

  it("in ADS mode, holds a named watch until every requested name exists", () => {
    const cache = createSnapshotCache({ ads: true });
    const eds = watch(cache, ENDPOINT_TYPE_URL, { names: ["a", "b"] });
    const rds = watch(cache, ROUTE_TYPE_URL, { names: ["r"] });
    cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a"), [ROUTE_TYPE_URL]: routeConfigs("r") }));
    expect(eds.got).toHaveLength(0);
    expect(names(rds.got[0])).toEqual(["r"]);
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(1);
    // Also when the watch opens after the snapshot.
    expect(watch(cache, ENDPOINT_TYPE_URL, { names: ["a", "b"] }).got).toHaveLength(0);
    cache.setSnapshot("n1", snapshot("v2", { [ENDPOINT_TYPE_URL]: assignments("a", "b"), [ROUTE_TYPE_URL]: routeConfigs("r") }));
    expect(eds.got).toHaveLength(1);
    expect(eds.got[0]?.version).toBe("v2");
    expect(names(eds.got[0])).toEqual(["a", "b"]);
  });

  it("a client subscribed to no name gets no empty response on later changes, with or without ADS", () => {
    for (const ads of [false, true]) {
      const cache = createSnapshotCache({ ads });
      cache.setSnapshot("n1", snapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a") }));
      const eds = watch(cache, ENDPOINT_TYPE_URL, { names: ["a"] });
      expect(names(eds.got[0])).toEqual(["a"]);
      eds.subscription.setReturnedResources(new Map([["a", "v1"]]));
      // The client dropped its last cluster: it now asks for no endpoints, at the version it holds.
      eds.subscription.setResourceNames([]);
      expect(eds.subscription.isWildcard()).toBe(false);
      const got: SotwResponse[] = [];
      cache.createWatch(request(ENDPOINT_TYPE_URL, { version: "v1" }), eds.subscription, (response) => got.push(response));
      cache.setSnapshot("n1", snapshot("v2", { [ENDPOINT_TYPE_URL]: assignments("a", "b") }));
      cache.setSnapshot("n1", snapshot("v3", { [ENDPOINT_TYPE_URL]: assignments("b") }));
      expect(got, `ads: ${ads}`).toHaveLength(0);
      expect(cache.statusInfo("n1")?.sotwWatches).toBe(1);
    }
  });

  it("in ADS mode, wildcard watches are never held", () => {
    const cache = createSnapshotCache({ ads: true });
    const cds = watch(cache, CLUSTER_TYPE_URL);
    cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: [] }));
    expect(cds.got).toHaveLength(1);
    expect(names(cds.got[0])).toEqual([]);
  });

  it("answers a node's watches in ADS order: clusters, endpoints, listeners, routes, then the rest", () => {
    const cache = createSnapshotCache({ ads: true });
    const order: string[] = [];
    const sub = () => createSubscription();
    const record = (response: SotwResponse) => order.push(response.typeUrl);
    for (const typeUrl of [SECRET_TYPE_URL, ROUTE_TYPE_URL, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL, CLUSTER_TYPE_URL]) {
      cache.createWatch(request(typeUrl), sub(), record);
    }
    cache.setSnapshot(
      "n1",
      snapshot("v1", {
        [CLUSTER_TYPE_URL]: clusters("a"),
        [ENDPOINT_TYPE_URL]: assignments("a"),
        [LISTENER_TYPE_URL]: listeners("l"),
        [ROUTE_TYPE_URL]: routeConfigs("r"),
      }),
    );
    expect(order).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL, SECRET_TYPE_URL]);
  });

  it("with a version per type, watches of unversioned types stay open", () => {
    const cache = createSnapshotCache();
    const lds = watch(cache, LISTENER_TYPE_URL);
    const cds = watch(cache, CLUSTER_TYPE_URL);
    cache.setSnapshot("n1", createSnapshot({ [CLUSTER_TYPE_URL]: "c1" }, { [CLUSTER_TYPE_URL]: clusters("a") }));
    expect(cds.got).toHaveLength(1);
    expect(lds.got).toHaveLength(0);
  });

  it("responses share the snapshot's resources: nothing is copied or re-encoded", () => {
    const cache = createSnapshotCache();
    const s = snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") });
    cache.setSnapshot("n1", s);
    cache.setSnapshot("n2", s);
    const one = watch(cache, CLUSTER_TYPE_URL, { node: "n1" }).got[0];
    const two = watch(cache, CLUSTER_TYPE_URL, { node: "n2" }).got[0];
    expect(one?.resources[0]).toBe(s.resources(CLUSTER_TYPE_URL).get("a"));
    expect(two?.resources[0]?.any).toBe(one?.resources[0]?.any);
  });

  it("cancelled watches are never answered and free everything they held", () => {
    const cache = createSnapshotCache();
    const a = watch(cache, CLUSTER_TYPE_URL);
    const b = watch(cache, ENDPOINT_TYPE_URL, { names: ["x"] });
    const c = watch(cache, ENDPOINT_TYPE_URL, { names: ["y"] });
    expect(cache.statusInfo("n1")).toMatchObject({ sotwWatches: 3, deltaWatches: 0 });
    a.cancel();
    a.cancel();
    b.cancel();
    c.cancel();
    expect(cache.statusInfo("n1")).toMatchObject({ sotwWatches: 0, deltaWatches: 0 });
    expect(cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }))).toBe(0);
    expect(a.got).toHaveLength(0);
  });

  it("a watch cancelled by an earlier respond of the same update is not answered", () => {
    const cache = createSnapshotCache();
    let cancelEds = (): void => {};
    const got: string[] = [];
    cache.createWatch(request(CLUSTER_TYPE_URL), createSubscription(), (r) => {
      got.push(r.typeUrl);
      cancelEds();
    });
    cancelEds = cache.createWatch(request(ENDPOINT_TYPE_URL), createSubscription(), (r) => got.push(r.typeUrl));
    expect(cache.setSnapshot("n1", snapshot("v1", {}))).toBe(1);
    expect(got).toEqual([CLUSTER_TYPE_URL]);
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(0);
  });

  it("a server may open the next watch from inside respond", () => {
    const cache = createSnapshotCache();
    const versions: string[] = [];
    const subscription = createSubscription();
    const open = (version: string): void => {
      cache.createWatch(request(CLUSTER_TYPE_URL, { version }), subscription, (r) => {
        versions.push(r.version);
        open(r.version);
      });
    };
    open("");
    cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }));
    cache.setSnapshot("n1", snapshot("v2", { [CLUSTER_TYPE_URL]: clusters("a") }));
    expect(versions).toEqual(["v1", "v2"]);
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(1);
  });

  it("a respond that throws is logged and does not stop the other answers", () => {
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message) => errors.push(message) };
    const cache = createSnapshotCache({ logger });
    cache.createWatch(request(CLUSTER_TYPE_URL), createSubscription(), () => {
      throw new Error("stream gone");
    });
    const other = watch(cache, ENDPOINT_TYPE_URL);
    cache.setSnapshot("n1", snapshot("v1", {}));
    expect(other.got).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it("rejects an unknown type or a missing node with a CacheError, losing nothing", () => {
    const cache = createSnapshotCache();
    const pending = watch(cache, CLUSTER_TYPE_URL, { version: "v1" });
    cache.setSnapshot("n1", snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }));
    const unknown = "type.googleapis.com/acme.Widget";
    expect(() => watch(cache, unknown)).toThrowError(CacheError);
    expect(() => watch(cache, unknown)).toThrowError(/acme\.Widget/);
    expect(() => watch(cache, "")).toThrowError(expect.objectContaining({ code: "unknown-type" }));
    expect(() => cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL }), createSubscription(), () => {})).toThrowError(
      expect.objectContaining({ code: "missing-node" }),
    );
    expect(cache.getSnapshot("n1")?.version(CLUSTER_TYPE_URL)).toBe("v1");
    expect(cache.statusInfo("n1")?.sotwWatches).toBe(1);
    cache.setSnapshot("n1", snapshot("v2", { [CLUSTER_TYPE_URL]: clusters("a") }));
    expect(pending.got.map((r) => r.version)).toEqual(["v2"]);
  });

  it("a snapshot that fails to build leaves the cache as it was", () => {
    const cache = createSnapshotCache();
    const good = snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") });
    cache.setSnapshot("n1", good);
    expect(() => cache.setSnapshot("n1", snapshot("v2", { [CLUSTER_TYPE_URL]: clusters("a", "a") }))).toThrowError(SnapshotError);
    expect(cache.getSnapshot("n1")).toBe(good);
  });

  it("rejects snapshots it did not make", () => {
    const cache = createSnapshotCache();
    const fake = { ...snapshot("v1", {}) };
    expect(() => cache.setSnapshot("n1", fake)).toThrowError(expect.objectContaining({ code: "invalid-snapshot" }));
    expect(cache.getSnapshot("n1")).toBeUndefined();
  });
});

describe("SnapshotCache status", () => {
  it("reports node, watch counts and last request time per node key", () => {
    const cache = createSnapshotCache({ nodeHash: (node) => node?.cluster ?? "none" });
    const before = Date.now();
    const node = { id: "envoy-1", cluster: "edge" };
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, node }), createSubscription(), () => {});
    const info = cache.statusInfo("edge");
    expect(info).toMatchObject({ nodeKey: "edge", sotwWatches: 1, deltaWatches: 0, node: { id: "envoy-1" } });
    expect(info?.lastRequestTime).toBeGreaterThanOrEqual(before);
    expect(cache.statusKeys()).toEqual(["edge"]);
    expect(cache.statusInfo("other")).toBeUndefined();
  });

  it("getSnapshot and clearSnapshot; a cleared node keeps its open watches", () => {
    const cache = createSnapshotCache();
    const s = snapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") });
    cache.setSnapshot("n1", s);
    expect(cache.getSnapshot("n1")).toBe(s);
    const open = watch(cache, CLUSTER_TYPE_URL, { version: "v1" });
    cache.clearSnapshot("n1");
    expect(cache.getSnapshot("n1")).toBeUndefined();
    expect(cache.statusKeys()).toEqual(["n1"]);
    cache.setSnapshot("n1", snapshot("v2", { [CLUSTER_TYPE_URL]: clusters("a") }));
    expect(open.got).toHaveLength(1);
    // Idle now: clearing forgets the node.
    cache.clearSnapshot("n1");
    expect(cache.statusKeys()).toEqual([]);
  });
});
