import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CLUSTER_TYPE_URL,
  createSubscription,
  ENDPOINT_TYPE_URL,
  type LogFields,
  type Logger,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

interface Line {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps every line but debug ones. */
function recorder(): Logger & { lines: Line[]; said(level?: Line["level"]): Line[] } {
  const lines: Line[] = [];
  const at = (level: Line["level"]) => (message: string, fields?: LogFields) => {
    if (level !== "debug") lines.push({ level, message, fields });
  };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    said: (level) => lines.filter((line) => level === undefined || line.level === level),
  };
}

const node = (id: string, cluster = "edge") => ({ id, cluster });
const sotw = (typeUrl: string, id: string, names: string[] = [], version = "") =>
  create(DiscoveryRequestSchema, { typeUrl, node: node(id), resourceNames: names, versionInfo: version });
const clusters = (...names: string[]) => names.map((name) => create(ClusterSchema, { name }));
const assignments = (...names: string[]) => names.map((clusterName) => create(ClusterLoadAssignmentSchema, { clusterName }));
const routes = (...names: string[]) => names.map((name) => create(RouteConfigurationSchema, { name }));
const ignore = () => {};

describe("SnapshotCache diagnostics: a node without a snapshot", () => {
  it("warns once, naming the node, its cluster, the node key and the keys that have a snapshot", async () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("envoy-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }));
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "envoy-2"), createSubscription(), ignore);
    expect(logger.said()).toEqual([
      {
        level: "warn",
        message:
          'no snapshot for node "envoy-2" (cluster "edge") under node key "envoy-2": its requests wait until setSnapshot("envoy-2", …); snapshots are set for 1 node key: "envoy-1"',
        fields: { node: "envoy-2", cluster: "edge", nodeKey: "envoy-2", typeUrl: CLUSTER_TYPE_URL, snapshotKeys: ["envoy-1"], snapshotKeyCount: 1 },
      },
    ]);
    // Every later request of the node, of any type and protocol, waits silently.
    cache.createWatch(sotw(LISTENER_TYPE_URL, "envoy-2"), createSubscription(), ignore);
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "envoy-2"), createSubscription(), ignore);
    cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, node: node("envoy-2") }), createSubscription(), ignore);
    await cache.fetch(sotw(CLUSTER_TYPE_URL, "envoy-2"));
    expect(logger.said()).toHaveLength(1);
  });

  it("lists the first 10 keys and counts the rest", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    for (let i = 0; i < 25; i++) cache.setSnapshot(`group-${i}`, createSnapshot("v1", {}));
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "lost"), createSubscription(), ignore);
    const [line] = logger.said("warn");
    expect(line?.message).toContain('snapshots are set for 25 node keys: "group-0", "group-1", "group-2"');
    expect(line?.message).toMatch(/"group-9" … \(15 more\)$/);
    expect(line?.fields).toMatchObject({ snapshotKeyCount: 25 });
    expect(line?.fields?.snapshotKeys).toHaveLength(10);
  });

  it("names the node key a custom nodeHash chose", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger, nodeHash: (n) => n?.cluster ?? "" });
    cache.setSnapshot("ingress", createSnapshot("v1", {}));
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "envoy-7"), createSubscription(), ignore);
    expect(logger.said("warn")[0]?.message).toBe(
      'no snapshot for node "envoy-7" (cluster "edge") under node key "edge": its requests wait until setSnapshot("edge", …); snapshots are set for 1 node key: "ingress"',
    );
  });

  it("says info, not warn, while no key has a snapshot yet (a control plane starting)", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "early"), createSubscription(), ignore);
    expect(logger.said()).toEqual([
      {
        level: "info",
        message: 'no snapshot for node "early" (cluster "edge") under node key "early": its requests wait until setSnapshot("early", …); no snapshot is set for any node key yet',
        fields: { node: "early", cluster: "edge", nodeKey: "early", typeUrl: CLUSTER_TYPE_URL },
      },
    ]);
  });

  it("says when the snapshot arrives, and warns again after clearSnapshot", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("other", createSnapshot("v1", {}));
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "n1"), createSubscription(), ignore);
    cache.createWatch(sotw(LISTENER_TYPE_URL, "n1"), createSubscription(), ignore);
    cache.setSnapshot("n1", createSnapshot("v1", {}));
    expect(logger.said("info").map((line) => line.message)).toEqual([
      'snapshot set for node key "n1", which was waiting for one: 2 watches answered',
    ]);
    cache.setSnapshot("n1", createSnapshot("v2", {}));
    expect(logger.said()).toHaveLength(2);
    cache.clearSnapshot("n1");
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "n1", [], "v2"), createSubscription(), ignore);
    expect(logger.said("warn")).toHaveLength(2);
  });

  it("remembers at most 10,000 node keys: the least recently seen is forgotten first", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("known", createSnapshot("v1", {}));
    for (let i = 0; i <= 10_000; i++) cache.createWatch(sotw(CLUSTER_TYPE_URL, `n${i}`), createSubscription(), ignore);
    expect(logger.said("warn")).toHaveLength(10_001);
    // n10000 is remembered; n0 was pushed out by it and is told again.
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "n10000"), createSubscription(), ignore);
    expect(logger.said("warn")).toHaveLength(10_001);
    cache.createWatch(sotw(CLUSTER_TYPE_URL, "n0"), createSubscription(), ignore);
    expect(logger.said("warn")).toHaveLength(10_002);
  });

  it("is silent by default", () => {
    const cache = createSnapshotCache();
    expect(() => cache.createWatch(sotw(CLUSTER_TYPE_URL, "n1"), createSubscription(), ignore)).not.toThrow();
  });
});

describe("SnapshotCache diagnostics: names the snapshot does not hold", () => {
  it("says once per change of the set of missing names, capped at 10 names", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("n1", createSnapshot("v1", { [ROUTE_TYPE_URL]: routes("r1") }));
    const watch = (names: string[]) => cache.createWatch(sotw(ROUTE_TYPE_URL, "n1", names, "v1"), createSubscription({ resourceNames: names }), ignore);
    watch(["r1", "r2"]);
    expect(logger.said()).toEqual([
      {
        level: "info",
        message: 'node "n1" (node key "n1") requests 1 RouteConfiguration name missing from snapshot version "v1": "r2"',
        fields: { node: "n1", nodeKey: "n1", typeUrl: ROUTE_TYPE_URL, version: "v1", missing: ["r2"], missingCount: 1 },
      },
    ]);
    // Steady state: the same request again says nothing.
    for (let i = 0; i < 100; i++) watch(["r2", "r1"]);
    expect(logger.said()).toHaveLength(1);
    // Another set of missing names does.
    watch(["r1", "r3", "r4"]);
    expect(logger.said().at(-1)?.message).toBe('node "n1" (node key "n1") requests 2 RouteConfiguration names missing from snapshot version "v1": "r3", "r4"');
    // Once every name exists, a later gap is said again.
    watch(["r1"]);
    watch(["r1", "r3", "r4"]);
    expect(logger.said()).toHaveLength(3);
    const many = Array.from({ length: 25 }, (_, i) => `m${i}`);
    watch(many);
    const last = logger.said().at(-1);
    expect(last?.message).toMatch(/requests 25 RouteConfiguration names missing from snapshot version "v1": "m0", "m1", .*"m9" … \(15 more\)$/);
    expect(last?.fields).toMatchObject({ missingCount: 25 });
    expect(last?.fields?.missing).toHaveLength(10);
  });

  it("names the clusters that wait on endpoints, on delta and SotW", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a", "b"), [ENDPOINT_TYPE_URL]: assignments("a") }));
    const subscription = createSubscription({ resourceNames: ["a", "b"] });
    cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node: node("n1") }), subscription, ignore);
    expect(logger.said().map((line) => [line.level, line.message])).toEqual([
      ["info", 'node "n1" (node key "n1") has 1 cluster waiting on endpoints missing from snapshot version "v1": "b"'],
    ]);
    cache.createWatch(sotw(ENDPOINT_TYPE_URL, "n1", ["a", "b"]), createSubscription({ resourceNames: ["a", "b"] }), ignore);
    expect(logger.said()).toHaveLength(1);
  });

  it("in ADS mode, says so when a snapshot leaves a held watch waiting", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger, ads: true });
    const got: unknown[] = [];
    cache.createWatch(sotw(ENDPOINT_TYPE_URL, "n1", ["a", "b"]), createSubscription({ resourceNames: ["a", "b"] }), (r) => got.push(r));
    cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: assignments("a") }));
    expect(got).toHaveLength(0);
    expect(logger.said().map((line) => line.message)).toEqual([
      'no snapshot for node "n1" (cluster "edge") under node key "n1": its requests wait until setSnapshot("n1", …); no snapshot is set for any node key yet',
      'node "n1" (node key "n1") has 1 cluster waiting on endpoints missing from snapshot version "v1": "b"',
      'snapshot set for node key "n1", which was waiting for one: 0 watches answered',
    ]);
    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: assignments("a", "b") }));
    expect(got).toHaveLength(1);
    expect(logger.said()).toHaveLength(3);
  });

  it("says when the snapshot has no version for a requested type", () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("n1", createSnapshot({ [CLUSTER_TYPE_URL]: "v1" }, {}));
    cache.createWatch(sotw(SECRET_TYPE_URL, "n1"), createSubscription(), ignore);
    cache.createWatch(sotw(SECRET_TYPE_URL, "n1"), createSubscription(), ignore);
    expect(logger.said().map((line) => [line.level, line.message])).toEqual([
      [
        "info",
        `node "n1" (node key "n1") requests type "${SECRET_TYPE_URL}", which its snapshot has no version for: the request waits until a snapshot versions it`,
      ],
    ]);
  });

  it("checks fetches by name, not wildcard fetches", async () => {
    const logger = recorder();
    const cache = createSnapshotCache({ logger });
    cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: clusters("a") }));
    await cache.fetch(sotw(CLUSTER_TYPE_URL, "n1"));
    await cache.fetch(sotw(CLUSTER_TYPE_URL, "n1", ["*", "zzz"]));
    expect(logger.said()).toHaveLength(0);
    await cache.fetch(sotw(CLUSTER_TYPE_URL, "n1", ["a", "zzz"]));
    expect(logger.said().map((line) => line.message)).toEqual(['node "n1" (node key "n1") requests 1 Cluster name missing from snapshot version "v1": "zzz"']);
  });
});
