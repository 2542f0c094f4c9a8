import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL, SCOPED_ROUTE_TYPE_URL, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { Cluster_DiscoveryType, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { VirtualHost } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import type { ScopedRouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { checkClusterEndpoints, forEachHostName } from "./cluster-checks.js";
import { boundAddresses, checkFilterChainMatches, checkHasFilterChains, inlineRouteConfigurations } from "./listener-checks.js";
import { checkDuplicateDomains, checkWeightedClusters, checkWeightedClustersOfVirtualHost } from "./route-checks.js";
import type { ResourceCheck, SnapshotCheck, SnapshotProblem, SnapshotSummary, SnapshotView } from "./semantic-check.js";

const DUPLICATE_DOMAIN = "route.duplicate-domain";
const WEIGHTED_CLUSTERS = "route.weighted-clusters";

/**
 * The built-in rules about one resource, each something Envoy 1.40 refuses that
 * protoc-gen-validate cannot express. Route rules also apply to route configurations carried
 * inline by listeners (HttpConnectionManager.route_config, inline scoped routes) and scoped
 * route configurations.
 */
export const builtinResourceChecks: readonly ResourceCheck[] = [
  {
    rule: DUPLICATE_DOMAIN,
    description: "A domain served twice in a route configuration (domains compare without case; one \"*\" at most).",
    typeUrl: ROUTE_TYPE_URL,
    check: (rc, report) => checkDuplicateDomains(rc as RouteConfiguration, report),
  },
  {
    rule: WEIGHTED_CLUSTERS,
    description: "Weighted clusters with a weight missing, or weights that sum to 0 or past 2^32-1.",
    typeUrl: ROUTE_TYPE_URL,
    check: (rc, report) => checkWeightedClusters(rc as RouteConfiguration, report),
  },
  {
    rule: WEIGHTED_CLUSTERS,
    description: "The same, in a virtual host served by VHDS.",
    typeUrl: VIRTUAL_HOST_TYPE_URL,
    check: (vh, report) => checkWeightedClustersOfVirtualHost(vh as VirtualHost, report),
  },
  {
    rule: DUPLICATE_DOMAIN,
    description: "Duplicate domains in a route configuration carried inline by a listener.",
    typeUrl: LISTENER_TYPE_URL,
    check: (listener, report) => {
      for (const [rc, path] of inlineRouteConfigurations(listener as Listener)) checkDuplicateDomains(rc, report, path);
    },
  },
  {
    rule: WEIGHTED_CLUSTERS,
    description: "Weighted clusters of route configurations carried inline by a listener.",
    typeUrl: LISTENER_TYPE_URL,
    check: (listener, report) => {
      for (const [rc, path] of inlineRouteConfigurations(listener as Listener)) checkWeightedClusters(rc, report, path);
    },
  },
  {
    rule: DUPLICATE_DOMAIN,
    description: "Duplicate domains in the route configuration a scoped route carries inline.",
    typeUrl: SCOPED_ROUTE_TYPE_URL,
    check: (scope, report) => {
      const rc = (scope as ScopedRouteConfiguration).routeConfiguration;
      if (rc !== undefined) checkDuplicateDomains(rc, report, "route_configuration");
    },
  },
  {
    rule: "listener.duplicate-filter-chain-match",
    description: "Two filter chains of a listener whose matches claim the same connections.",
    typeUrl: LISTENER_TYPE_URL,
    check: (listener, report) => checkFilterChainMatches(listener as Listener, report),
  },
  {
    rule: "listener.no-filter-chains",
    description: "A TCP listener without filter chains.",
    typeUrl: LISTENER_TYPE_URL,
    check: (listener, report) => checkHasFilterChains(listener as Listener, report),
  },
  {
    rule: "cluster.endpoint-kind",
    description: "A cluster whose type does not fit its endpoints or load balancing policy (STATIC with host names, LOGICAL_DNS with several endpoints, ORIGINAL_DST with a load assignment or without CLUSTER_PROVIDED, CLUSTER_PROVIDED elsewhere).",
    typeUrl: CLUSTER_TYPE_URL,
    check: (cluster, report) => checkClusterEndpoints(cluster as Cluster, report),
  },
];

// The snapshot checks, written once over summaries: `check` summarizes the messages it is given,
// `summary` lets validateSnapshot remember the summaries per resource version instead.

type Report = (problem: SnapshotProblem) => void;

/** A listener's bound addresses: [address key, field]. */
type ListenerAddresses = readonly (readonly [string, string])[];

const duplicateAddress: SnapshotSummary<ListenerAddresses> = {
  typeUrls: [LISTENER_TYPE_URL],
  summarize: (_typeUrl, listener) => [...boundAddresses(listener as Listener)],
  check(snapshot, report) {
    const owners = new Map<string, string>();
    const listeners = [...snapshot.summaries(LISTENER_TYPE_URL)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [name, addresses] of listeners) {
      for (const [key, field] of addresses) {
        const first = owners.get(key);
        if (first === undefined) owners.set(key, name);
        else if (first !== name) report({ typeUrl: LISTENER_TYPE_URL, resourceName: name, field, message: `listener "${first}" is already bound to ${key}`, value: key });
      }
    }
  },
};

/**
 * An EDS cluster: the assignment name it asks for; an assignment: its endpoints that are host
 * names, [host, field]; undefined for everything else.
 */
type EdsSummary = { readonly wants: string } | { readonly hostNames: readonly (readonly [string, string])[] } | undefined;

const edsAddress: SnapshotSummary<EdsSummary> = {
  typeUrls: [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL],
  summarize(typeUrl, message) {
    if (typeUrl === CLUSTER_TYPE_URL) {
      const cluster = message as Cluster;
      const eds = cluster.clusterDiscoveryType.case === "type" && cluster.clusterDiscoveryType.value === Cluster_DiscoveryType.EDS;
      return eds ? { wants: cluster.edsClusterConfig?.serviceName || cluster.name } : undefined;
    }
    const hostNames: [string, string][] = [];
    forEachHostName(message as ClusterLoadAssignment, "", (host, field) => hostNames.push([host, field]));
    return hostNames.length === 0 ? undefined : { hostNames };
  },
  check(snapshot, report) {
    const wanted = new Set<string>();
    for (const s of snapshot.summaries(CLUSTER_TYPE_URL).values()) if (s !== undefined && "wants" in s) wanted.add(s.wants);
    for (const [name, s] of snapshot.summaries(ENDPOINT_TYPE_URL)) {
      if (s === undefined || !("hostNames" in s) || !wanted.has(name)) continue;
      for (const [host, field] of s.hostNames) {
        report({ typeUrl: ENDPOINT_TYPE_URL, resourceName: name, field, message: `EDS endpoints must be IP addresses; "${host}" is not`, value: host });
      }
    }
  },
};

/** A snapshot check from a summary: `check` summarizes the messages of the view it is given. */
function summarized<S>(rule: string, description: string, summary: SnapshotSummary<S>): SnapshotCheck {
  return {
    rule,
    description,
    summary: summary as SnapshotSummary,
    check(snapshot: SnapshotView, report: Report) {
      const byType = new Map<string, Map<string, S>>();
      for (const typeUrl of summary.typeUrls) {
        const into = new Map<string, S>();
        for (const [name, message] of snapshot.resources(typeUrl)) into.set(name, summary.summarize(typeUrl, message));
        byType.set(typeUrl, into);
      }
      summary.check({ typeUrls: () => [...byType.keys()], summaries: (typeUrl) => byType.get(typeUrl) ?? new Map() }, report);
    },
  };
}

/** The built-in rules about resources together (each with a {@link SnapshotSummary}). */
export const builtinSnapshotChecks: readonly SnapshotCheck[] = [
  summarized(
    "listener.duplicate-address",
    "Two listeners bound to the same address and port (and protocol), additional addresses included.",
    duplicateAddress,
  ),
  summarized("endpoint.eds-address", "Endpoints an EDS cluster gets that are host names: Envoy takes EDS addresses as IP addresses.", edsAddress),
];
