import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  prepareResource,
  ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { createSnapshot, SnapshotError } from "@xdskit/cache-snapshot";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";

const edsCluster = (name: string) =>
  create(ClusterSchema, { name, clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS }, edsClusterConfig: {} });
const assignment = (clusterName: string) => create(ClusterLoadAssignmentSchema, { clusterName });
const routes = (name: string) => create(RouteConfigurationSchema, { name });
const listener = (name: string, routeConfigName: string) =>
  create(ListenerSchema, {
    name,
    filterChains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            configType: {
              case: "typedConfig",
              value: anyPack(
                HttpConnectionManagerSchema,
                create(HttpConnectionManagerSchema, { routeSpecifier: { case: "rds", value: { routeConfigName } } }),
              ),
            },
          },
        ],
      },
    ],
  });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("createSnapshot", () => {
  it("indexes messages and prepared resources by type and name", () => {
    const prepared = prepareResource(ClusterLoadAssignmentSchema, { clusterName: "b" });
    const snapshot = createSnapshot("v1", {
      [CLUSTER_TYPE_URL]: [edsCluster("a"), edsCluster("b")],
      [ENDPOINT_TYPE_URL]: [assignment("a"), prepared],
    });
    expect([...snapshot.resources(CLUSTER_TYPE_URL).keys()]).toEqual(["a", "b"]);
    expect(snapshot.resources(ENDPOINT_TYPE_URL).get("b")).toBe(prepared);
    expect(snapshot.typeUrls()).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL]);
    expect(snapshot.resources(LISTENER_TYPE_URL).size).toBe(0);
  });

  it("one version serves every type, empty ones included", () => {
    const snapshot = createSnapshot("v7", { [CLUSTER_TYPE_URL]: [edsCluster("a")] });
    expect(snapshot.version(CLUSTER_TYPE_URL)).toBe("v7");
    expect(snapshot.version(LISTENER_TYPE_URL)).toBe("v7");
  });

  it("a version per type leaves unversioned types unserved", () => {
    const snapshot = createSnapshot(
      { [CLUSTER_TYPE_URL]: "c1", [LISTENER_TYPE_URL]: "l1" },
      { [CLUSTER_TYPE_URL]: [edsCluster("a")], [ENDPOINT_TYPE_URL]: [] },
    );
    expect(snapshot.version(CLUSTER_TYPE_URL)).toBe("c1");
    expect(snapshot.version(LISTENER_TYPE_URL)).toBe("l1");
    expect(snapshot.version(ENDPOINT_TYPE_URL)).toBeUndefined();
    expect(snapshot.typeUrls()).toEqual([CLUSTER_TYPE_URL, LISTENER_TYPE_URL]);
  });

  it("rejects resources of a type without a version, naming the type", () => {
    const error = thrown(() => createSnapshot({ [CLUSTER_TYPE_URL]: "c1" }, { [ENDPOINT_TYPE_URL]: [assignment("a")] }));
    expect(error).toBeInstanceOf(SnapshotError);
    expect(error).toMatchObject({ code: "invalid-snapshot", typeUrl: ENDPOINT_TYPE_URL, field: "version" });
  });

  it("rejects duplicate names, naming every type and name", () => {
    const error = thrown(() =>
      createSnapshot("v1", {
        [CLUSTER_TYPE_URL]: [edsCluster("a"), edsCluster("a"), edsCluster("b")],
        [ROUTE_TYPE_URL]: [routes("r"), routes("r")],
      }),
    );
    expect(error).toBeInstanceOf(SnapshotError);
    expect(error).toMatchObject({ code: "duplicate-name", resourceNames: ["a", "r"] });
    expect(String(error)).toContain(`a (type "${CLUSTER_TYPE_URL}")`);
    expect(String(error)).toContain(`r (type "${ROUTE_TYPE_URL}")`);
  });

  it("a resource whose name cannot be derived is a CacheError naming its type and position", () => {
    const error = thrown(() => createSnapshot("v1", { [LB_ENDPOINT_TYPE_URL]: [create(LbEndpointSchema)] }));
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toBeInstanceOf(SnapshotError);
    expect(error).toMatchObject({ code: "resource-name", typeUrl: LB_ENDPOINT_TYPE_URL });
    expect(String(error)).toContain("resource #0");
    expect((error as SnapshotError).cause).toBeInstanceOf(CacheError);
  });

  it("rejects a message under the wrong type URL and a message of an unregistered type", () => {
    expect(thrown(() => createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [edsCluster("a")] }))).toMatchObject({ code: "type-mismatch" });
    const prepared = prepareResource(ClusterSchema, { name: "a" });
    expect(thrown(() => createSnapshot("v1", { [LISTENER_TYPE_URL]: [prepared] }))).toMatchObject({
      code: "type-mismatch",
      resourceName: "a",
    });
    expect(thrown(() => createSnapshot("v1", { "type.googleapis.com/x.Unknown": [edsCluster("a")] }))).toMatchObject({
      code: "unknown-type",
      typeUrl: "type.googleapis.com/x.Unknown",
    });
  });

  it("marshals every resource once, when built", () => {
    const snapshot = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [edsCluster("a")] });
    const resource = snapshot.resources(CLUSTER_TYPE_URL).get("a");
    expect(resource?.bytes).toBe(resource?.bytes);
    expect(resource?.bytes.length).toBeGreaterThan(0);
  });

  it("applies TTLs per type and name, sharing the bytes", () => {
    const prepared = prepareResource(ClusterSchema, { name: "a" });
    const snapshot = createSnapshot(
      "v1",
      { [CLUSTER_TYPE_URL]: [prepared, edsCluster("b")] },
      { ttlMs: { [CLUSTER_TYPE_URL]: { a: 5_000 } } },
    );
    const a = snapshot.resources(CLUSTER_TYPE_URL).get("a");
    expect(a?.ttlMs).toBe(5_000);
    expect(a?.bytes).toBe(prepared.bytes);
    expect(snapshot.resources(CLUSTER_TYPE_URL).get("b")?.ttlMs).toBeUndefined();
  });

  it("rejects a TTL for a resource it does not hold, and a bad TTL", () => {
    expect(
      thrown(() => createSnapshot("v1", { [CLUSTER_TYPE_URL]: [edsCluster("a")] }, { ttlMs: { [SECRET_TYPE_URL]: { s: 1 } } })),
    ).toMatchObject({ code: "invalid-snapshot", resourceNames: ["s"], field: "ttlMs" });
    expect(
      thrown(() => createSnapshot("v1", { [CLUSTER_TYPE_URL]: [edsCluster("a")] }, { ttlMs: { [CLUSTER_TYPE_URL]: { a: -1 } } })),
    ).toMatchObject({ code: "invalid-resource", resourceName: "a" });
  });
});

describe("Snapshot.consistent", () => {
  it("passes when every reference resolves and nothing is left over", () => {
    const snapshot = createSnapshot("v1", {
      [CLUSTER_TYPE_URL]: [edsCluster("a"), create(ClusterSchema, { name: "dns" })],
      [ENDPOINT_TYPE_URL]: [assignment("a")],
      [LISTENER_TYPE_URL]: [listener("l", "r")],
      [ROUTE_TYPE_URL]: [routes("r")],
    });
    expect(() => snapshot.consistent()).not.toThrow();
  });

  it("names every missing and every extra resource of every type", () => {
    const snapshot = createSnapshot("v1", {
      [CLUSTER_TYPE_URL]: [edsCluster("a"), edsCluster("b"), edsCluster("c")],
      [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("x"), assignment("y")],
      [LISTENER_TYPE_URL]: [listener("l1", "r1"), listener("l2", "r2")],
      [ROUTE_TYPE_URL]: [routes("r1"), routes("stale")],
    });
    const error = thrown(() => snapshot.consistent());
    expect(error).toBeInstanceOf(SnapshotError);
    expect(error).toMatchObject({
      code: "inconsistent",
      inconsistencies: [
        { typeUrl: ENDPOINT_TYPE_URL, missing: ["b", "c"], extra: ["x", "y"] },
        { typeUrl: ROUTE_TYPE_URL, missing: ["r2"], extra: ["stale"] },
      ],
      resourceNames: ["b", "c", "x", "y", "r2", "stale"],
    });
    for (const name of ["b", "c", "x", "y", "r2", "stale"]) expect(String(error)).toContain(name);
  });

  it("with endpoints served by another cache, clusters referencing them are consistent", () => {
    const split = createSnapshot("v1", {
      [CLUSTER_TYPE_URL]: [edsCluster("a"), edsCluster("b")],
      [LISTENER_TYPE_URL]: [listener("l", "r")],
      [ROUTE_TYPE_URL]: [routes("r")],
    });
    expect(thrown(() => split.consistent())).toMatchObject({
      code: "inconsistent",
      inconsistencies: [{ typeUrl: ENDPOINT_TYPE_URL, missing: ["a", "b"], extra: [] }],
    });
    expect(() => split.consistent({ externalTypes: [ENDPOINT_TYPE_URL] })).not.toThrow();
    // Only the named types are skipped: a missing route configuration is still found.
    const noRoutes = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [edsCluster("a")], [LISTENER_TYPE_URL]: [listener("l", "r")] });
    expect(thrown(() => noRoutes.consistent({ externalTypes: [ENDPOINT_TYPE_URL] }))).toMatchObject({
      typeUrl: ROUTE_TYPE_URL,
      inconsistencies: [{ typeUrl: ROUTE_TYPE_URL, missing: ["r"], extra: [] }],
      resourceNames: ["r"],
      resourceName: "r",
    });
  });

  it("checks references the caller adds, such as routes to clusters", () => {
    const snapshot = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [create(ClusterSchema, { name: "web" })] });
    expect(thrown(() => snapshot.consistent({ references: new Map([[CLUSTER_TYPE_URL, new Set(["web", "api"])]]) }))).toMatchObject({
      inconsistencies: [{ typeUrl: CLUSTER_TYPE_URL, missing: ["api"], extra: [] }],
    });
  });

  it("is a CacheError named SnapshotError", () => {
    const error = thrown(() => createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("orphan")] }).consistent());
    expect(error).toBeInstanceOf(SnapshotError);
    expect(error).toBeInstanceOf(CacheError);
    expect((error as SnapshotError).name).toBe("SnapshotError");
    expect(String(error)).toMatch(/^SnapshotError: snapshot is inconsistent: .*not referenced orphan/);
  });

  it("endpoints without any cluster are extra", () => {
    const snapshot = createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [assignment("orphan")] });
    expect(thrown(() => snapshot.consistent())).toMatchObject({
      typeUrl: ENDPOINT_TYPE_URL,
      inconsistencies: [{ typeUrl: ENDPOINT_TYPE_URL, missing: [], extra: ["orphan"] }],
    });
  });
});
