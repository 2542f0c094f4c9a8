// Resources the suite serves, built with @xdskit/resource-builders.
import { create, type Message } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, type Snapshot } from "@xdskit/cache-snapshot";
import { HeaderValueOptionSchema, MetadataSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import {
  clusterLoadAssignment,
  configSource,
  edsCluster,
  httpListener,
  route,
  routeConfiguration,
  virtualHost,
} from "@xdskit/resource-builders";

export const ROUTES_NAME = "app-routes";

/**
 * What a real Envoy gets at version `v`: listener `http` (RDS over ADS) →
 * cluster `app` (EDS over ADS) → `upstreamPort`; every response carries
 * `x-config-version: v`. The listener binds port 0: Envoy takes a free port
 * and the test reads it from Envoy's admin (`waitForListenerPorts`); updates
 * keep the listener's socket, so the port stays across versions.
 */
export function envoySnapshot(o: { version: string; upstreamPort: number }): Snapshot {
  const source = configSource("ads");
  // The cluster changes with the version too (Envoy keeps the version of an unchanged resource).
  const cluster = edsCluster({ name: "app", configSource: source, connectTimeoutMs: 1000 + o.version.length + o.version.charCodeAt(o.version.length - 1) });
  const endpoints = clusterLoadAssignment({ clusterName: "app", endpoints: [{ host: "127.0.0.1", port: o.upstreamPort }] });
  const routes = routeConfiguration({
    name: ROUTES_NAME,
    virtualHosts: [virtualHost({ name: "app", routes: [route({ prefix: "/", cluster: "app", timeoutMs: 5000 })] })],
  });
  routes.responseHeadersToAdd.push(create(HeaderValueOptionSchema, { header: { key: "x-config-version", value: o.version } }));
  const listener = httpListener({
    name: "http",
    statPrefix: "http",
    address: "127.0.0.1",
    port: 1, // the builders take 1..65535; replaced by 0 below
    rds: { routeConfigName: ROUTES_NAME, configSource: source },
  });
  if (listener.address?.address.case === "socketAddress") listener.address.address.value.portSpecifier = { case: "portValue", value: 0 };
  listener.metadata = create(MetadataSchema, { filterMetadata: { xdskit: { version: o.version } } });
  const snapshot = createSnapshot(o.version, {
    [CLUSTER_TYPE_URL]: [cluster],
    [ENDPOINT_TYPE_URL]: [endpoints],
    [LISTENER_TYPE_URL]: [listener],
    [ROUTE_TYPE_URL]: [routes],
  });
  snapshot.consistent();
  return snapshot;
}

/** `n` clusters of about `padBytes` each (the padding rides in `alt_stat_name`). */
export function paddedClusters(n: number, padBytes: number, tag = ""): Message[] {
  const pad = "x".repeat(padBytes);
  return Array.from({ length: n }, (_, i) => create(ClusterSchema, { name: `c${i}`, altStatName: `${tag}${pad}` }));
}

/**
 * A small consistent snapshot of clusters, endpoints and listeners at a
 * numeric version: `clusters` EDS clusters `c0..`, their endpoint
 * assignments, one listener. Content changes with the version.
 */
export function churnSnapshot(version: number, clusters = 3): Snapshot {
  const source = configSource("ads");
  const cs = Array.from({ length: clusters }, (_, i) => edsCluster({ name: `c${i}`, configSource: source, connectTimeoutMs: 1000 + (version % 1000) }));
  const eps = cs.map((c) => clusterLoadAssignment({ clusterName: c.name, endpoints: [{ host: "127.0.0.1", port: 10_000 + (version % 50_000) }] }));
  const listener = httpListener({
    name: "l0",
    statPrefix: `l0-${version}`,
    address: "127.0.0.1",
    port: 20_000,
    rds: { routeConfigName: "r0", configSource: source },
  });
  const routes = routeConfiguration({ name: "r0", virtualHosts: [virtualHost({ name: "vh", routes: [route({ prefix: "/", cluster: "c0" })] })] });
  return createSnapshot(String(version), {
    [CLUSTER_TYPE_URL]: cs,
    [ENDPOINT_TYPE_URL]: eps,
    [LISTENER_TYPE_URL]: [listener],
    [ROUTE_TYPE_URL]: [routes],
  });
}
