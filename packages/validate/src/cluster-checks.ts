import { Cluster_DiscoveryType, Cluster_LbPolicy, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { ResourceProblem } from "./semantic-check.js";
import { goIpKind } from "./well-known-strings.js";

type Report = (problem: ResourceProblem) => void;

/**
 * Calls `found` for every socket address host of an assignment's endpoints that is not an IP
 * literal (and has no custom resolver), with its path.
 */
export function forEachHostName(cla: ClusterLoadAssignment, prefix: string, found: (host: string, field: string) => void): void {
  const localities = cla.endpoints;
  for (let i = 0; i < localities.length; i++) {
    const lbEndpoints = (localities[i] as ClusterLoadAssignment["endpoints"][number]).lbEndpoints;
    for (let j = 0; j < lbEndpoints.length; j++) {
      const id = (lbEndpoints[j] as (typeof lbEndpoints)[number]).hostIdentifier;
      if (id.case !== "endpoint") continue;
      const address = id.value.address?.address;
      if (address?.case !== "socketAddress" || address.value.resolverName !== "") continue;
      const host = address.value.address;
      if (!isIpv4Literal(host) && goIpKind(host) === undefined) {
        found(host, `${prefix}endpoints[${i}].lb_endpoints[${j}].endpoint.address.socket_address.address`);
      }
    }
  }
}

/** A dotted quad as Go accepts it (no leading zeros), without allocating: the common case, fast. */
function isIpv4Literal(s: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return parts === 4;
}

/**
 * What Envoy refuses about a cluster's type and its endpoints: a STATIC cluster's endpoints must
 * be IP addresses (Envoy does not resolve names there), a LOGICAL_DNS cluster has exactly one
 * endpoint, an ORIGINAL_DST cluster has no load assignment and the CLUSTER_PROVIDED policy, and
 * CLUSTER_PROVIDED goes with ORIGINAL_DST only (of the built-in types).
 */
export function checkClusterEndpoints(cluster: Cluster, report: Report): void {
  const kind = cluster.clusterDiscoveryType;
  if (kind.case !== "type") return; // a custom cluster type decides for itself
  const type = kind.value;
  const la = cluster.loadAssignment;
  if (type === Cluster_DiscoveryType.STATIC && la !== undefined) {
    forEachHostName(la, "load_assignment.", (host, field) =>
      report({ field, message: `a STATIC cluster's endpoints must be IP addresses; "${host}" is not (use STRICT_DNS or LOGICAL_DNS for names)`, value: host }),
    );
  }
  if (type === Cluster_DiscoveryType.LOGICAL_DNS) {
    const count = la?.endpoints.reduce((n, l) => n + l.lbEndpoints.length, 0) ?? 0;
    if (la !== undefined && (la.endpoints.length !== 1 || count !== 1)) {
      report({ field: "load_assignment.endpoints", message: `a LOGICAL_DNS cluster needs exactly one locality with one endpoint, has ${la.endpoints.length} with ${count}` });
    }
  }
  if (type === Cluster_DiscoveryType.ORIGINAL_DST) {
    if (la !== undefined) report({ field: "load_assignment", message: "an ORIGINAL_DST cluster cannot have a load assignment" });
    if (cluster.lbPolicy !== Cluster_LbPolicy.CLUSTER_PROVIDED) {
      report({ field: "lb_policy", message: `an ORIGINAL_DST cluster needs lb_policy CLUSTER_PROVIDED, not ${Cluster_LbPolicy[cluster.lbPolicy] ?? cluster.lbPolicy}`, value: cluster.lbPolicy });
    }
  } else if (cluster.lbPolicy === Cluster_LbPolicy.CLUSTER_PROVIDED) {
    report({ field: "lb_policy", message: `lb_policy CLUSTER_PROVIDED needs a cluster type that provides one (ORIGINAL_DST), not ${Cluster_DiscoveryType[type] ?? type}`, value: cluster.lbPolicy });
  }
}
