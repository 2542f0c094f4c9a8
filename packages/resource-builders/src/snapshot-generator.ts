import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import type { Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { edsCluster } from "./clusters.js";
import { configSource, type ConfigSourceMode, type ConfigSourceOptions } from "./config-sources.js";
import { clusterLoadAssignment } from "./endpoints.js";
import { httpListener, tcpListener } from "./listeners.js";
import { routeConfiguration } from "./route-configuration.js";
import { route, virtualHost } from "./routes.js";
import { checkSnapshotResources } from "./check-snapshot-resources.js";
import type { MessagesByType } from "./prepare-resources.js";
import { checkHost, checkInt, checkName, checkPort, fail, subject } from "./validate.js";

/** Options of {@link generateSnapshotResources}. */
export interface GenerateSnapshotOptions {
  /** How many EDS clusters (and as many assignments) to make; ≥ 1. */
  readonly clusters: number;
  /** How many HTTP listeners (each with its own RDS route configuration). Default: 1. */
  readonly listeners?: number | undefined;
  /** How many TCP listeners. Default: 0. */
  readonly tcpListeners?: number | undefined;
  /** Endpoints per cluster; endpoint k uses `upstream.port + k`. Default: 1. */
  readonly endpointsPerCluster?: number | undefined;
  /** Port of the first HTTP listener; TCP listeners follow the HTTP ones. Default: 10000. */
  readonly basePort?: number | undefined;
  /** Address listeners bind. Default: `"0.0.0.0"`. */
  readonly listenerAddress?: string | undefined;
  /** Where every cluster's endpoints point (an IP address). */
  readonly upstream: { readonly host: string; readonly port: number };
  /** How Envoy fetches EDS and RDS. Default: `"ads"`. */
  readonly mode?: ConfigSourceMode | undefined;
  /** Options of the config sources (control-plane cluster name, REST refresh). Default: `configSource`'s. */
  readonly configSourceOptions?: ConfigSourceOptions | undefined;
  /** The snapshot version to report. Default: `"1"`. */
  readonly version?: string | undefined;
}

/** What {@link generateSnapshotResources} makes. */
export interface GeneratedSnapshot {
  /** The snapshot version (the `version` option). */
  readonly version: string;
  /** `cluster-<i>`: EDS clusters. */
  readonly clusters: readonly Cluster[];
  /** One per cluster, named like it. */
  readonly endpoints: readonly ClusterLoadAssignment[];
  /** `listener-<i>` (HTTP, RDS `route-<i>`) then `tcp-listener-<j>`. */
  readonly listeners: readonly Listener[];
  /** `route-<i>`: one virtual host for `*`, everything to `cluster-<i mod clusters>`. */
  readonly routes: readonly RouteConfiguration[];
  /** The same resources grouped by type URL, for a snapshot. */
  readonly resources: MessagesByType;
  /** The ports of the HTTP listeners, in order. */
  readonly httpPorts: readonly number[];
  /** The ports of the TCP listeners, in order; `tcp-listener-<j>` proxies to `cluster-<j mod clusters>`. */
  readonly tcpPorts: readonly number[];
}

/**
 * A consistent set of N EDS clusters with their assignments, M HTTP listeners
 * with RDS route configurations that route to those clusters, and optionally
 * TCP listeners, for tests and benchmarks. Every reference resolves, listener
 * ports are distinct, and the same options always give equal messages.
 */
export function generateSnapshotResources(opts: GenerateSnapshotOptions): GeneratedSnapshot {
  const s = subject("GeneratedSnapshot", opts.version);
  const n = checkInt(s, "clusters", opts.clusters, 1, 1_000_000);
  const m = checkInt(s, "listeners", opts.listeners ?? 1, 0, 65535);
  const t = checkInt(s, "tcpListeners", opts.tcpListeners ?? 0, 0, 65535);
  const perCluster = checkInt(s, "endpointsPerCluster", opts.endpointsPerCluster ?? 1, 0, 65535);
  const basePort = checkPort(s, "basePort", opts.basePort ?? 10000);
  const version = checkName(s, "version", opts.version ?? "1");
  const host = checkHost(s, "upstream.host", opts.upstream?.host, true);
  const upstreamPort = checkPort(s, "upstream.port", opts.upstream?.port);
  if (m + t > 0 && basePort + m + t - 1 > 65535) fail(s, "invalid-port", "basePort", `${m + t} listeners from port ${basePort} run past 65535`);
  if (perCluster > 0 && upstreamPort + perCluster - 1 > 65535) {
    fail(s, "invalid-port", "upstream.port", `${perCluster} endpoints from port ${upstreamPort} run past 65535`);
  }
  const source = configSource(opts.mode ?? "ads", opts.configSourceOptions ?? {});
  const address = opts.listenerAddress ?? "0.0.0.0";

  const clusterName = (i: number) => `cluster-${i}`;
  const clusters: Cluster[] = [];
  const endpoints: ClusterLoadAssignment[] = [];
  for (let i = 0; i < n; i++) {
    clusters.push(edsCluster({ name: clusterName(i), configSource: source }));
    endpoints.push(
      clusterLoadAssignment({
        clusterName: clusterName(i),
        endpoints: Array.from({ length: perCluster }, (_, k) => ({ host, port: upstreamPort + k })),
      }),
    );
  }
  const routes: RouteConfiguration[] = [];
  const listeners: Listener[] = [];
  const httpPorts: number[] = [];
  const tcpPorts: number[] = [];
  for (let i = 0; i < m; i++) {
    const routeName = `route-${i}`;
    routes.push(
      routeConfiguration({
        name: routeName,
        virtualHosts: [virtualHost({ name: `vh-${i}`, domains: ["*"], routes: [route({ prefix: "/", cluster: clusterName(i % n) })] })],
      }),
    );
    httpPorts.push(basePort + i);
    listeners.push(httpListener({ name: `listener-${i}`, address, port: basePort + i, rds: { routeConfigName: routeName, configSource: source } }));
  }
  for (let j = 0; j < t; j++) {
    tcpPorts.push(basePort + m + j);
    listeners.push(tcpListener({ name: `tcp-listener-${j}`, address, port: basePort + m + j, cluster: clusterName(j % n) }));
  }
  const resources: MessagesByType = {
    [CLUSTER_TYPE_URL]: clusters,
    [ENDPOINT_TYPE_URL]: endpoints,
    [LISTENER_TYPE_URL]: listeners,
    [ROUTE_TYPE_URL]: routes,
  };
  checkSnapshotResources(resources);
  return { version, clusters, endpoints, listeners, routes, resources, httpPorts, tcpPorts };
}
