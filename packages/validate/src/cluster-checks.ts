import { Cluster_DiscoveryType, Cluster_LbPolicy, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { ResourceProblem } from "./semantic-check.js";
import { goIpKind } from "./well-known-strings.js";

type Report = (problem: ResourceProblem) => void;

/** Every socket address host of an assignment's endpoints, with its path, when it is not an IP literal. */
export function* hostNames(cla: ClusterLoadAssignment, prefix: string): Generator<[string, string]> {
  for (const [i, locality] of cla.endpoints.entries()) {
    for (const [j, lb] of locality.lbEndpoints.entries()) {
      if (lb.hostIdentifier.case !== "endpoint") continue;
      const address = lb.hostIdentifier.value.address?.address;
      if (address?.case !== "socketAddress" || address.value.resolverName !== "") continue;
      if (goIpKind(address.value.address) === undefined) {
        yield [address.value.address, `${prefix}endpoints[${i}].lb_endpoints[${j}].endpoint.address.socket_address.address`];
      }
    }
  }
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
    for (const [host, field] of hostNames(la, "load_assignment.")) {
      report({ field, message: `a STATIC cluster's endpoints must be IP addresses; "${host}" is not (use STRICT_DNS or LOGICAL_DNS for names)`, value: host });
    }
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
