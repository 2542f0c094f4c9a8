import { create, equals } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  collectReferences,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
} from "@xdskit/cache-core";
import {
  BuilderError,
  checkSnapshotResources,
  clusterLoadAssignment,
  edsCluster,
  generateSnapshotResources,
  httpListener,
  prepareResources,
  route,
  routeConfiguration,
  scopedRouteConfiguration,
  tcpListener,
  virtualHost,
} from "@xdskit/resource-builders";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { describe, expect, it } from "vitest";
import { ValidationError } from "@xdskit/validate/core";
import { DurationSchema } from "@bufbuild/protobuf/wkt";

const upstream = { host: "127.0.0.1", port: 9000 };

describe("generateSnapshotResources", () => {
  it("makes N clusters and assignments, M RDS listeners and routes, and TCP listeners, grouped by type URL", () => {
    const snap = generateSnapshotResources({ clusters: 3, listeners: 2, tcpListeners: 2, endpointsPerCluster: 2, upstream, mode: "xds", version: "v7" });
    expect(snap.version).toBe("v7");
    expect(snap.clusters.map((c) => c.name)).toEqual(["cluster-0", "cluster-1", "cluster-2"]);
    expect(snap.endpoints.map((e) => e.clusterName)).toEqual(["cluster-0", "cluster-1", "cluster-2"]);
    expect(snap.endpoints[1]?.endpoints[0]?.lbEndpoints.map((e) => e.hostIdentifier.value)).toMatchObject([
      { address: { address: { value: { address: "127.0.0.1", portSpecifier: { value: 9000 } } } } },
      { address: { address: { value: { address: "127.0.0.1", portSpecifier: { value: 9001 } } } } },
    ]);
    expect(snap.listeners.map((l) => l.name)).toEqual(["listener-0", "listener-1", "tcp-listener-0", "tcp-listener-1"]);
    expect(snap.routes.map((r) => r.name)).toEqual(["route-0", "route-1"]);
    expect(snap.httpPorts).toEqual([10000, 10001]);
    expect(snap.tcpPorts).toEqual([10002, 10003]);
    expect(snap.clusters[0]?.edsClusterConfig?.edsConfig?.configSourceSpecifier.case).toBe("apiConfigSource");
    expect(Object.keys(snap.resources).sort()).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL].sort());
    expect(snap.resources[CLUSTER_TYPE_URL]).toBe(snap.clusters);
    // Every reference resolves, by cache-core's own reference walk too.
    const prepared = prepareResources(snap.resources);
    const refs = collectReferences(Object.values(prepared).flat());
    expect([...(refs.get(ENDPOINT_TYPE_URL) ?? [])].sort()).toEqual(["cluster-0", "cluster-1", "cluster-2"]);
    expect([...(refs.get(ROUTE_TYPE_URL) ?? [])].sort()).toEqual(["route-0", "route-1"]);
    expect(prepared[LISTENER_TYPE_URL]?.map((r) => r.name)).toEqual(["listener-0", "listener-1", "tcp-listener-0", "tcp-listener-1"]);
  });

  it("is deterministic: the same options give equal messages and equal bytes", () => {
    const opts = { clusters: 5, listeners: 3, tcpListeners: 1, upstream, mode: "delta" as const };
    const a = generateSnapshotResources(opts);
    const b = generateSnapshotResources(opts);
    a.clusters.forEach((c, i) => {
      const other = b.clusters[i];
      expect(other !== undefined && equals(ClusterSchema, c, other)).toBe(true);
    });
    a.listeners.forEach((l, i) => {
      const other = b.listeners[i];
      expect(other !== undefined && equals(ListenerSchema, l, other)).toBe(true);
    });
    const hashes = (s: typeof a) => Object.values(prepareResources(s.resources)).flatMap((list) => list.map((r) => r.hash));
    expect(hashes(a)).toEqual(hashes(b));
  });

  it("defaults to one HTTP listener over ADS and no TCP listeners", () => {
    const snap = generateSnapshotResources({ clusters: 1, upstream });
    expect(snap.listeners).toHaveLength(1);
    expect(snap.tcpPorts).toEqual([]);
    expect(snap.version).toBe("1");
    expect(snap.clusters[0]?.edsClusterConfig?.edsConfig?.configSourceSpecifier.case).toBe("ads");
  });

  it("rejects impossible sets", () => {
    expect(() => generateSnapshotResources({ clusters: 0, upstream })).toThrow(expect.objectContaining({ code: "invalid-value", field: "clusters" }));
    expect(() => generateSnapshotResources({ clusters: 1, listeners: 10, basePort: 65530, upstream })).toThrow(expect.objectContaining({ code: "invalid-port", field: "basePort" }));
    expect(() => generateSnapshotResources({ clusters: 1, upstream: { host: "upstream.local", port: 80 } })).toThrow(expect.objectContaining({ code: "invalid-address" }));
    expect(() => generateSnapshotResources({ clusters: 1, endpointsPerCluster: 3, upstream: { host: "127.0.0.1", port: 65534 } })).toThrow(
      expect.objectContaining({ code: "invalid-port", field: "upstream.port" }),
    );
  });
});

describe("checkSnapshotResources", () => {
  const cluster = edsCluster({ name: "c" });
  const cla = clusterLoadAssignment({ clusterName: "c", endpoints: [] });
  const rc = routeConfiguration({ name: "r", virtualHosts: [virtualHost({ name: "v", routes: [route({ cluster: "c" })] })] });
  const http = httpListener({ name: "http", port: 8080, rds: { routeConfigName: "r" } });

  it("accepts a consistent set", () => {
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster], [ENDPOINT_TYPE_URL]: [cla], [LISTENER_TYPE_URL]: [http], [ROUTE_TYPE_URL]: [rc] })).not.toThrow();
  });

  it("finds dangling references, on the resource that refers", () => {
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster] })).toThrow(
      expect.objectContaining({
        code: "dangling-reference",
        field: `${CLUSTER_TYPE_URL} "c"`,
        message: expect.stringContaining('Cluster "c": refers to ClusterLoadAssignment "c", which the snapshot does not hold (reference.missing)'),
      }),
    );
    expect(() => checkSnapshotResources({ [LISTENER_TYPE_URL]: [http] })).toThrow(expect.objectContaining({ code: "dangling-reference", field: `${LISTENER_TYPE_URL} "http"` }));
    const tcp = tcpListener({ name: "tcp", port: 9, cluster: "missing" });
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster], [ENDPOINT_TYPE_URL]: [cla], [LISTENER_TYPE_URL]: [tcp] })).toThrow(
      /Cluster "missing": is referenced but not in the snapshot \(reference\.missing\)/,
    );
    // Without clusters in the set, cluster references are not checked (they may be static in the bootstrap).
    expect(() => checkSnapshotResources({ [LISTENER_TYPE_URL]: [tcp] })).not.toThrow();
    const scope = scopedRouteConfiguration({ name: "s", routeConfigurationName: "nope", key: ["k"] });
    expect(() => checkSnapshotResources({ [SCOPED_ROUTE_TYPE_URL]: [scope] })).toThrow(/ScopedRouteConfiguration "s": refers to RouteConfiguration "nope"/);
  });

  it("names every problem of every resource at once, and keeps them all in the cause", () => {
    const d = edsCluster({ name: "d" });
    let error: unknown;
    try {
      checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster, d], [LISTENER_TYPE_URL]: [http] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BuilderError);
    expect(error).toMatchObject({ code: "dangling-reference", field: undefined });
    expect(String(error)).toContain('Cluster "c": refers to ClusterLoadAssignment "c"');
    expect(String(error)).toContain('Cluster "d": refers to ClusterLoadAssignment "d"');
    expect(String(error)).toContain('Listener "http": refers to RouteConfiguration "r"');
    const cause = (error as BuilderError).cause as ValidationError;
    expect(cause).toBeInstanceOf(ValidationError);
    expect(cause.violations.map((v) => v.resourceName)).toEqual(["c", "d", "http"]);
  });

  it("finds endpoint assignments and route configurations nothing references, as Snapshot.consistent() does", () => {
    expect(() => checkSnapshotResources({ [ENDPOINT_TYPE_URL]: [cla] })).toThrow(
      expect.objectContaining({ code: "unreferenced", message: expect.stringContaining('ClusterLoadAssignment "c": is in the snapshot but nothing references it') }),
    );
    const orphan = routeConfiguration({ name: "orphan", virtualHosts: [] });
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster], [ENDPOINT_TYPE_URL]: [cla], [ROUTE_TYPE_URL]: [rc, orphan] })).toThrow(
      expect.objectContaining({ code: "unreferenced", message: expect.stringMatching(/RouteConfiguration "orphan": is in the snapshot.*RouteConfiguration "r": is in the snapshot/) }),
    );
    // Missing and unreferenced together: the missing names make it a dangling reference; both are named.
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [edsCluster({ name: "x" })], [ENDPOINT_TYPE_URL]: [cla] })).toThrow(
      expect.objectContaining({ code: "dangling-reference", message: expect.stringMatching(/Cluster "x": refers to ClusterLoadAssignment "x".*ClusterLoadAssignment "c": is in the snapshot/) }),
    );
  });

  it("with types another cache serves, their references do not dangle", () => {
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster] }, { externalTypes: [ENDPOINT_TYPE_URL] })).not.toThrow();
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster], [LISTENER_TYPE_URL]: [http] }, { externalTypes: [ENDPOINT_TYPE_URL] })).toThrow(
      expect.objectContaining({ code: "dangling-reference", field: `${LISTENER_TYPE_URL} "http"` }),
    );
    const tcp = tcpListener({ name: "tcp", port: 9, cluster: "elsewhere" });
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [cluster], [LISTENER_TYPE_URL]: [tcp] }, { externalTypes: [ENDPOINT_TYPE_URL, CLUSTER_TYPE_URL] })).not.toThrow();
  });

  it("finds duplicate names and listeners on the same address and port (as Envoy refuses them)", () => {
    expect(() => checkSnapshotResources({ [ROUTE_TYPE_URL]: [rc, rc] })).toThrow(expect.objectContaining({ code: "duplicate" }));
    const a = tcpListener({ name: "a", port: 9000, address: "127.0.0.1", cluster: "c" });
    const b = tcpListener({ name: "b", port: 9000, address: "127.0.0.1", cluster: "c" });
    const c = tcpListener({ name: "c", port: 9000, address: "127.0.0.2", cluster: "c" });
    expect(() => checkSnapshotResources({ [LISTENER_TYPE_URL]: [a, b] })).toThrow(expect.objectContaining({ code: "duplicate", message: expect.stringContaining("listener.duplicate-address") }));
    expect(() => checkSnapshotResources({ [LISTENER_TYPE_URL]: [b, c] })).not.toThrow();
  });

  it("validates every resource's PGV rules (the validator caches use)", () => {
    // A message changed after it was built: the builder's own input checks did not see it.
    const slow = edsCluster({ name: "c" });
    slow.connectTimeout = create(DurationSchema, { seconds: 0n });
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [slow], [ENDPOINT_TYPE_URL]: [cla] })).toThrow(
      expect.objectContaining({ code: "invalid-value", field: `${CLUSTER_TYPE_URL} "c" connect_timeout`, message: expect.stringContaining("(duration.gt)") }),
    );
  });

  it("rejects messages filed under the wrong type URL", () => {
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: [rc] })).toThrow(expect.objectContaining({ code: "invalid-value", cause: expect.anything() }));
    expect(() => prepareResources({ "type.googleapis.com/unknown.Type": [create(ClusterSchema)] })).toThrow(BuilderError);
    expect(() => prepareResources({ [CLUSTER_TYPE_URL]: [create(ClusterSchema)] })).toThrow(expect.objectContaining({ code: "invalid-name" }));
  });
});
