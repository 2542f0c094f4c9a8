import type { RouteAction } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import type { VirtualHost } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import type { ResourceProblem } from "./semantic-check.js";

type Report = (problem: ResourceProblem) => void;

const join = (prefix: string, field: string): string => (prefix === "" ? field : `${prefix}.${field}`);

/**
 * Envoy refuses a route configuration in which a domain is served twice: compared without case,
 * across and within virtual hosts, and "*" at most once.
 */
export function checkDuplicateDomains(rc: RouteConfiguration, report: Report, prefix = ""): void {
  const seen = new Map<string, string>();
  let wildcard: string | undefined;
  rc.virtualHosts.forEach((vh, i) => {
    vh.domains.forEach((domain, j) => {
      const field = join(prefix, `virtual_hosts[${i}].domains[${j}]`);
      if (domain === "*") {
        if (wildcard !== undefined) report({ field, message: `a second wildcard domain "*" (the first is ${wildcard}); only one is permitted`, value: domain });
        wildcard ??= field;
        return;
      }
      const key = domain.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) report({ field, message: `domain "${domain}" is already served by ${first} (domains compare without case)`, value: domain });
      else seen.set(key, field);
    });
  });
}

/** Every route action of a virtual host, with its path. */
function* routeActions(vh: VirtualHost, prefix: string): Generator<[RouteAction, string]> {
  for (const [i, route] of vh.routes.entries()) {
    if (route.action.case === "route") yield [route.action.value, join(prefix, `routes[${i}].route`)];
  }
}

const MAX_UINT32 = 4294967295;

/**
 * Envoy refuses weighted clusters whose weights are not all set, sum to 0, or sum past 2^32-1
 * (`total_weight` is deprecated and no longer checked).
 */
export function checkWeightedClustersOfVirtualHost(vh: VirtualHost, report: Report, prefix = ""): void {
  for (const [action, path] of routeActions(vh, prefix)) {
    if (action.clusterSpecifier.case !== "weightedClusters") continue;
    const field = `${path}.weighted_clusters`;
    let sum = 0;
    action.clusterSpecifier.value.clusters.forEach((c, k) => {
      if (c.weight === undefined) report({ field: `${field}.clusters[${k}].weight`, message: "weight is required" });
      else sum += c.weight;
    });
    if (sum === 0) report({ field, message: "the weights of the clusters must sum to more than 0", value: sum });
    if (sum > MAX_UINT32) report({ field, message: `the weights of the clusters sum to ${sum}, more than ${MAX_UINT32}`, value: sum });
  }
}

export function checkWeightedClusters(rc: RouteConfiguration, report: Report, prefix = ""): void {
  for (const [i, vh] of rc.virtualHosts.entries()) checkWeightedClustersOfVirtualHost(vh, report, join(prefix, `virtual_hosts[${i}]`));
}
