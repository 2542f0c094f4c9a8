import { create } from "@bufbuild/protobuf";
import { LocalitySchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { EndpointSchema, LbEndpointSchema, LocalityLbEndpointsSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import {
  ClusterLoadAssignment_PolicySchema,
  ClusterLoadAssignmentSchema,
  type ClusterLoadAssignment,
} from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { socketAddress } from "./socket-address.js";
import { checkHost, checkInt, checkName, checkPort, fail, subject, type Subject } from "./validate.js";

/** Where an endpoint runs. Endpoints with the same locality and priority are grouped together. */
export interface LocalityOptions {
  /** `locality.region`. Default: none. */
  readonly region?: string | undefined;
  /** `locality.zone`. Default: none. */
  readonly zone?: string | undefined;
  /** `locality.sub_zone`. Default: none. */
  readonly subZone?: string | undefined;
  /** Locality weight (≥ 1), used with locality-weighted load balancing. Default: none. */
  readonly weight?: number | undefined;
}

/** One upstream host. */
export interface EndpointOptions {
  /** An IP address (a DNS name only in STRICT_DNS clusters). */
  readonly host: string;
  /** The port, 1..65535. */
  readonly port: number;
  /** Load balancing weight, ≥ 1. Default: none (equal weights). */
  readonly weight?: number | undefined;
  /** Default: no locality. */
  readonly locality?: LocalityOptions | undefined;
  /** Priority level, 0 is highest. Default: 0. */
  readonly priority?: number | undefined;
}

/** Options of {@link clusterLoadAssignment}. */
export interface ClusterLoadAssignmentOptions {
  /** The EDS resource name: the cluster's name, or its `serviceName` when it has one. */
  readonly clusterName: string;
  /** The hosts; may be empty (a cluster with no endpoints). IP addresses only. */
  readonly endpoints: readonly EndpointOptions[];
  /** Overprovisioning factor in percent (Envoy's default is 140). Default: Envoy's. */
  readonly overprovisioningFactor?: number | undefined;
}

/** An EDS resource: the endpoints of one cluster, grouped by locality and priority. */
export function clusterLoadAssignment(opts: ClusterLoadAssignmentOptions): ClusterLoadAssignment {
  const s = subject("ClusterLoadAssignment", opts.clusterName);
  checkName(s, "clusterName", opts.clusterName);
  const cla = loadAssignment(s, opts.clusterName, opts.endpoints, true);
  if (opts.overprovisioningFactor !== undefined) {
    cla.policy = create(ClusterLoadAssignment_PolicySchema, {
      overprovisioningFactor: checkInt(s, "overprovisioningFactor", opts.overprovisioningFactor, 1),
    });
  }
  return cla;
}

// Shared with the STATIC and STRICT_DNS cluster builders, which embed a load assignment.
export function loadAssignment(s: Subject, clusterName: string, endpoints: readonly EndpointOptions[], ipOnly: boolean): ClusterLoadAssignment {
  if (!Array.isArray(endpoints)) fail(s, "missing-field", "endpoints", "must be a list");
  const groups = new Map<string, { priority: number; locality: LocalityOptions | undefined; weight: number | undefined; lbEndpoints: ReturnType<typeof lbEndpoint>[] }>();
  const seen = new Set<string>();
  endpoints.forEach((e, i) => {
    const field = `endpoints[${i}]`;
    const host = checkHost(s, `${field}.host`, e.host, ipOnly);
    const port = checkPort(s, `${field}.port`, e.port);
    const priority = e.priority === undefined ? 0 : checkInt(s, `${field}.priority`, e.priority, 0, 127);
    const key = `${priority}/${host}/${port}`;
    if (seen.has(key)) fail(s, "duplicate", field, `${host}:${port} is listed twice at priority ${priority}`);
    seen.add(key);
    const loc = e.locality;
    const groupKey = JSON.stringify([priority, loc?.region ?? "", loc?.zone ?? "", loc?.subZone ?? ""]);
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = { priority, locality: loc, weight: undefined, lbEndpoints: [] };
      groups.set(groupKey, group);
    }
    if (loc?.weight !== undefined) {
      const w = checkInt(s, `${field}.locality.weight`, loc.weight, 1);
      if (group.weight !== undefined && group.weight !== w) {
        fail(s, "invalid-value", `${field}.locality.weight`, `conflicts with weight ${group.weight} given for the same locality`);
      }
      group.weight = w;
    }
    const weight = e.weight === undefined ? undefined : checkInt(s, `${field}.weight`, e.weight, 1);
    group.lbEndpoints.push(lbEndpoint(host, port, weight));
  });
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [...groups.values()].map((g) =>
      create(LocalityLbEndpointsSchema, {
        priority: g.priority,
        lbEndpoints: g.lbEndpoints,
        ...(g.locality === undefined
          ? {}
          : { locality: create(LocalitySchema, { region: g.locality.region ?? "", zone: g.locality.zone ?? "", subZone: g.locality.subZone ?? "" }) }),
        ...(g.weight === undefined ? {} : { loadBalancingWeight: g.weight }),
      }),
    ),
  });
}

function lbEndpoint(host: string, port: number, weight: number | undefined) {
  return create(LbEndpointSchema, {
    hostIdentifier: { case: "endpoint", value: create(EndpointSchema, { address: socketAddress(host, port) }) },
    ...(weight === undefined ? {} : { loadBalancingWeight: weight }),
  });
}
