import { create } from "@bufbuild/protobuf";
import {
  type Cache,
  CacheError,
  CLUSTER_TYPE_URL,
  createSubscription,
  type DeltaResponse,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  type SotwResponse,
} from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { createMuxCache, MuxCacheError } from "@xdskit/cache-mux";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const sotw = (typeUrl: string, init: { versionInfo?: string; resourceNames?: string[]; nodeId?: string } = {}) =>
  create(DiscoveryRequestSchema, {
    typeUrl,
    versionInfo: init.versionInfo ?? "",
    resourceNames: init.resourceNames ?? [],
    node: { id: init.nodeId ?? "n1" },
  });
const delta = (typeUrl: string, nodeId = "n1") => create(DeltaDiscoveryRequestSchema, { typeUrl, node: { id: nodeId } });

function caches() {
  const eds = createLinearCache({
    schema: ClusterLoadAssignmentSchema,
    versionPrefix: "eds-",
    initialResources: [create(ClusterLoadAssignmentSchema, { clusterName: "a" })],
  });
  return { eds };
}

function firstError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("createMuxCache", () => {
  it("routes SotW watches, delta watches and fetches by type URL", async () => {
    const eds = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
    const cds = createLinearCache({ schema: ClusterSchema, versionPrefix: "cds-" });
    eds.updateResource(create(ClusterLoadAssignmentSchema, { clusterName: "a" }));
    cds.updateResource(create(ClusterSchema, { name: "a" }));
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds, [CLUSTER_TYPE_URL]: cds } });
    expect(mux.keys).toEqual([ENDPOINT_TYPE_URL, CLUSTER_TYPE_URL]);

    const got: SotwResponse[] = [];
    mux.createWatch(sotw(ENDPOINT_TYPE_URL, { resourceNames: ["a"] }), createSubscription({ resourceNames: ["a"] }), (r) => got.push(r));
    mux.createWatch(sotw(CLUSTER_TYPE_URL), createSubscription(), (r) => got.push(r));
    expect(got.map((r) => r.version)).toEqual(["eds-1", "cds-1"]);

    const deltas: DeltaResponse[] = [];
    mux.createDeltaWatch(delta(CLUSTER_TYPE_URL), createSubscription(), (r) => deltas.push(r));
    expect(deltas[0]?.systemVersion).toBe("cds-1");

    const fetched = await mux.fetch(sotw(ENDPOINT_TYPE_URL));
    expect(fetched.kind === "response" && fetched.response.version).toBe("eds-1");
    expect(mux.cacheFor(sotw(CLUSTER_TYPE_URL))).toBe(cds);
    expect(mux.cacheForDelta(delta(ENDPOINT_TYPE_URL))).toBe(eds);
  });

  it("passes cancel through to the cache that holds the watch", () => {
    const eds = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const mux = createMuxCache({ caches: new Map<string, Cache>([[ENDPOINT_TYPE_URL, eds]]) });
    const got: SotwResponse[] = [];
    const cancel = mux.createWatch(sotw(ENDPOINT_TYPE_URL, { versionInfo: "0", resourceNames: ["a"] }), createSubscription({ resourceNames: ["a"] }), (r) =>
      got.push(r),
    );
    expect(eds.sotwWatchCount()).toBe(1);
    cancel();
    expect(eds.sotwWatchCount()).toBe(0);
    eds.updateResource(create(ClusterLoadAssignmentSchema, { clusterName: "a" }));
    expect(got).toHaveLength(0);
  });

  it("uses custom classifiers, separately for SotW and delta", () => {
    const canary = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "canary-" });
    const stable = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "stable-" });
    const mux = createMuxCache({
      caches: { canary, stable },
      classify: (request) => (request.node?.id.startsWith("canary") ? "canary" : "stable"),
      classifyDelta: () => "canary",
    });
    const versions: string[] = [];
    mux.createWatch(sotw(ENDPOINT_TYPE_URL, { nodeId: "canary-1" }), createSubscription(), (r) => versions.push(r.version));
    mux.createWatch(sotw(ENDPOINT_TYPE_URL, { nodeId: "prod-1" }), createSubscription(), (r) => versions.push(r.version));
    expect(versions).toEqual(["canary-0", "stable-0"]);
    expect(mux.cacheForDelta(delta(ENDPOINT_TYPE_URL, "prod-1"))).toBe(canary);
  });

  it("throws a MuxCacheError naming the type URL when no cache claims a request", async () => {
    const { eds } = caches();
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds } });
    const error = firstError(() => mux.createWatch(sotw(LISTENER_TYPE_URL), createSubscription(), () => {}));
    expect(error).toBeInstanceOf(MuxCacheError);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: "unknown-type", typeUrl: LISTENER_TYPE_URL });
    expect((error as MuxCacheError).cacheKey).toBe(LISTENER_TYPE_URL);
    expect(String(error)).toContain(LISTENER_TYPE_URL);
    expect(() => mux.createDeltaWatch(delta(LISTENER_TYPE_URL), createSubscription(), () => {})).toThrowError(MuxCacheError);
    await expect(mux.fetch(sotw(LISTENER_TYPE_URL))).rejects.toThrowError(/no cache serves type "type\.googleapis\.com\/envoy\.config\.listener/);
    expect(mux.cacheFor(sotw(LISTENER_TYPE_URL))).toBeUndefined();
  });

  it("warns once per type URL no cache serves, not on every request, and bounds what it remembers", () => {
    const { eds } = caches();
    const lines: [string, string][] = [];
    const record = (level: string) => (message: string) => lines.push([level, message]);
    const logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds }, logger });
    for (let i = 0; i < 5; i++) expect(() => mux.createWatch(sotw(LISTENER_TYPE_URL), createSubscription(), () => {})).toThrowError(MuxCacheError);
    expect(lines.filter(([level]) => level === "warn")).toEqual([
      ["warn", `mux cache: no cache serves type "${LISTENER_TYPE_URL}" (caches: "${ENDPOINT_TYPE_URL}"; no fallback cache)`],
    ]);
    expect(lines.filter(([level]) => level === "debug")).toHaveLength(4);
    for (let i = 0; i < 150; i++) expect(() => mux.createWatch(sotw(`type.googleapis.com/x.T${i}`), createSubscription(), () => {})).toThrowError();
    expect(lines.filter(([level]) => level === "warn")).toHaveLength(100);
  });

  it("names the key when the classifier picks a cache that does not exist", () => {
    const mux = createMuxCache({ caches: {}, classify: () => "edge" });
    const error = firstError(() => mux.createWatch(sotw(CLUSTER_TYPE_URL), createSubscription(), () => {}));
    expect(error).toMatchObject({ code: "unknown-type", cacheKey: "edge", typeUrl: CLUSTER_TYPE_URL });
    expect(String(error)).toMatch(/classified as "edge"/);
  });

  it("wraps a classifier that throws, and lets CacheErrors through", () => {
    const boom = new Error("boom");
    const mux = createMuxCache({
      caches: {},
      classify: () => {
        throw boom;
      },
      classifyDelta: () => {
        throw new CacheError("missing-node", "no node");
      },
    });
    const error = firstError(() => mux.createWatch(sotw(CLUSTER_TYPE_URL), createSubscription(), () => {}));
    expect(error).toBeInstanceOf(MuxCacheError);
    expect((error as MuxCacheError).cause).toBe(boom);
    expect(firstError(() => mux.createDeltaWatch(delta(CLUSTER_TYPE_URL), createSubscription(), () => {}))).toMatchObject({ code: "missing-node" });
    expect(mux.cacheFor(sotw(CLUSTER_TYPE_URL))).toBeUndefined();
  });

  it("sends every request no cache claims to the fallback cache", async () => {
    const eds = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
    const rest = createLinearCache({ schema: ClusterSchema, versionPrefix: "cds-" });
    eds.updateResource(create(ClusterLoadAssignmentSchema, { clusterName: "a" }));
    rest.updateResource(create(ClusterSchema, { name: "a" }));
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds }, fallback: rest });
    expect(mux.keys).toEqual([ENDPOINT_TYPE_URL]);

    const got: SotwResponse[] = [];
    mux.createWatch(sotw(ENDPOINT_TYPE_URL, { resourceNames: ["a"] }), createSubscription({ resourceNames: ["a"] }), (r) => got.push(r));
    mux.createWatch(sotw(CLUSTER_TYPE_URL), createSubscription(), (r) => got.push(r));
    expect(got.map((r) => r.version)).toEqual(["eds-1", "cds-1"]);
    const deltas: DeltaResponse[] = [];
    mux.createDeltaWatch(delta(CLUSTER_TYPE_URL), createSubscription(), (r) => deltas.push(r));
    expect(deltas[0]?.systemVersion).toBe("cds-1");
    const fetched = await mux.fetch(sotw(CLUSTER_TYPE_URL));
    expect(fetched.kind === "response" && fetched.response.version).toBe("cds-1");
    expect(mux.cacheFor(sotw(CLUSTER_TYPE_URL))).toBe(rest);
    expect(mux.cacheForDelta(delta(LISTENER_TYPE_URL))).toBe(rest);
    expect(mux.cacheFor(sotw(ENDPOINT_TYPE_URL))).toBe(eds);

    // The fallback's own errors pass through: this one serves clusters only.
    expect(() => mux.createWatch(sotw(LISTENER_TYPE_URL), createSubscription(), () => {})).toThrowError(/serves "type\.googleapis\.com\/envoy\.config\.cluster/);
    // Cancel reaches the fallback that holds the watch.
    const current = createSubscription({ returnedResources: { a: "cds-1" } });
    const cancel = mux.createWatch(sotw(CLUSTER_TYPE_URL, { versionInfo: "cds-1" }), current, () => {});
    expect(rest.sotwWatchCount()).toBe(1);
    cancel();
    expect(rest.sotwWatchCount()).toBe(0);
  });

  it("a fallback alone serves everything; custom classifiers fall back on undefined or an unknown key, not on a throw", () => {
    const { eds } = caches();
    const only = createMuxCache({ fallback: eds });
    expect(only.keys).toEqual([]);
    expect(only.cacheFor(sotw(ENDPOINT_TYPE_URL))).toBe(eds);

    const canary = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "canary-" });
    const boom = new Error("boom");
    const mux = createMuxCache({
      caches: { canary },
      fallback: eds,
      classify: (request) => (request.node?.id === "canary-1" ? "canary" : request.node?.id === "edge-1" ? "edge" : undefined),
      classifyDelta: () => {
        throw boom;
      },
    });
    expect(mux.cacheFor(sotw(ENDPOINT_TYPE_URL, { nodeId: "canary-1" }))).toBe(canary);
    expect(mux.cacheFor(sotw(ENDPOINT_TYPE_URL, { nodeId: "prod-1" }))).toBe(eds);
    expect(mux.cacheFor(sotw(ENDPOINT_TYPE_URL, { nodeId: "edge-1" }))).toBe(eds);
    const versions: string[] = [];
    mux.createWatch(sotw(ENDPOINT_TYPE_URL, { nodeId: "edge-1" }), createSubscription(), (r) => versions.push(r.version));
    expect(versions).toEqual(["eds-0"]);
    const error = firstError(() => mux.createDeltaWatch(delta(ENDPOINT_TYPE_URL), createSubscription(), () => {}));
    expect(error).toBeInstanceOf(MuxCacheError);
    expect((error as MuxCacheError).cause).toBe(boom);
    expect(mux.cacheForDelta(delta(ENDPOINT_TYPE_URL))).toBeUndefined();
  });

  it("options given as undefined take their defaults", () => {
    const { eds } = caches();
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds }, fallback: undefined, classify: undefined, classifyDelta: undefined, logger: undefined });
    expect(mux.cacheFor(sotw(ENDPOINT_TYPE_URL))).toBe(eds);
    const error = firstError(() => mux.createWatch(sotw(LISTENER_TYPE_URL), createSubscription(), () => {}));
    expect(error).toMatchObject({ name: "MuxCacheError", code: "unknown-type", typeUrl: LISTENER_TYPE_URL });
    expect(String(error)).toMatch(/no fallback cache/);
    expect(createMuxCache({ caches: undefined }).keys).toEqual([]);
  });

  it("passes errors of the routed cache through", () => {
    const { eds } = caches();
    // Routed to the EDS cache although the type is CDS: the linear cache refuses it.
    const mux = createMuxCache({ caches: { eds }, classify: () => "eds" });
    expect(() => mux.createWatch(sotw(CLUSTER_TYPE_URL), createSubscription(), () => {})).toThrowError(/serves "type\.googleapis\.com\/envoy\.config\.endpoint/);
  });
});
