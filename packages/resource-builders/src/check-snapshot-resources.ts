import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { CLUSTER_TYPE_URL, findInconsistencies, type Inconsistency, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { type MessagesByType, type PrepareResourcesOptions, prepareResources, RESOURCE_SET } from "./prepare-resources.js";
import { fail, subject, type Subject } from "./validate.js";

/** Options of {@link checkSnapshotResources}. */
export interface CheckSnapshotResourcesOptions extends PrepareResourcesOptions {
  /**
   * Types another cache serves (for example `[ENDPOINT_TYPE_URL]` when a
   * linear cache behind a mux serves EDS): references to them are not
   * dangling. Default: none, the set must be self-contained.
   */
  readonly externalTypes?: Iterable<string> | undefined;
}

/**
 * Checks that a set of resources is consistent, as a snapshot must be before
 * it is served: names are unique per type, no two listeners bind the same
 * address and port, and the set passes cache-core's `findInconsistencies`
 * (the check `Snapshot.consistent()` makes): every reference resolves
 * (clusters to their EDS assignments, listeners to their route
 * configurations, scopes to route configurations, and, when the set has
 * clusters, routes and TCP proxies to clusters), and no endpoint assignment
 * or route configuration is left that nothing references. Wildcard
 * references (SRDS) are satisfied by any set.
 *
 * @throws {BuilderError} `duplicate`; `dangling-reference` naming every
 *   missing name (and every unreferenced one) of every type;
 *   `unreferenced` naming every leftover when nothing is missing; or as
 *   {@link prepareResources}.
 */
export function checkSnapshotResources(resources: MessagesByType, opts: CheckSnapshotResourcesOptions = {}): void {
  const s = subject(RESOURCE_SET, undefined);
  const prepared = prepareResources(resources, opts);
  for (const [typeUrl, list] of Object.entries(prepared)) {
    const seen = new Set<string>();
    for (const r of list) {
      if (seen.has(r.name)) fail(s, "duplicate", typeUrl, `resource "${r.name}" appears twice`);
      seen.add(r.name);
    }
  }
  const listeners = (resources[LISTENER_TYPE_URL] ?? []) as readonly Listener[];
  checkListenerAddresses(s, listeners);
  // Clusters referenced by routes and TCP proxies are checked only when the
  // set has clusters: otherwise they may be static ones in the bootstrap.
  const clusterRefs = new Set<string>();
  if (prepared[CLUSTER_TYPE_URL] !== undefined) {
    for (const rc of (resources[ROUTE_TYPE_URL] ?? []) as readonly RouteConfiguration[]) routeClusters(rc, clusterRefs);
    for (const l of listeners) listenerClusters(l, clusterRefs);
  }
  const found = findInconsistencies(Object.values(prepared).flat(), {
    types: opts.types,
    externalTypes: opts.externalTypes,
    references: new Map([[CLUSTER_TYPE_URL, clusterRefs]]),
  });
  if (found.length === 0) return;
  const missing = found.some((i) => i.missing.length > 0);
  const only = found.length === 1 ? found[0]?.typeUrl : undefined;
  const parts = found.map((i) => (only === undefined ? `${i.typeUrl}: ${describe(i)}` : describe(i)));
  fail(s, missing ? "dangling-reference" : "unreferenced", only, parts.join("; "));
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}

function describe(i: Inconsistency): string {
  const what: string[] = [];
  if (i.missing.length > 0) what.push(`${quoted(i.missing)} ${i.missing.length === 1 ? "is" : "are"} referenced but not in the set`);
  if (i.extra.length > 0) what.push(`${quoted(i.extra)} ${i.extra.length === 1 ? "is" : "are"} in the set but nothing references ${i.extra.length === 1 ? "it" : "them"}`);
  return what.join("; ");
}

function checkListenerAddresses(s: Subject, listeners: readonly Listener[]): void {
  const byPort = new Map<number, { host: string; name: string }[]>();
  for (const l of listeners) {
    const addr = l.address?.address;
    if (addr?.case !== "socketAddress" || addr.value.portSpecifier.case !== "portValue") continue;
    const port = addr.value.portSpecifier.value;
    const host = addr.value.address;
    const bound = byPort.get(port) ?? [];
    // A wildcard bind conflicts with every other address on the same port.
    const clash = bound.find((b) => b.host === host || isWildcard(b.host) || isWildcard(host));
    if (clash !== undefined) fail(s, "duplicate", `${LISTENER_TYPE_URL} "${l.name}"`, `${host}:${port} clashes with listener "${clash.name}" on ${clash.host}:${port}`);
    bound.push({ host, name: l.name });
    byPort.set(port, bound);
  }
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

function routeClusters(rc: RouteConfiguration, into: Set<string>): void {
  for (const vh of rc.virtualHosts) {
    for (const r of vh.routes) {
      if (r.action.case !== "route") continue;
      const spec = r.action.value.clusterSpecifier;
      if (spec.case === "cluster") into.add(spec.value);
      if (spec.case === "weightedClusters") for (const c of spec.value.clusters) into.add(c.name);
    }
  }
}

function listenerClusters(l: Listener, into: Set<string>): void {
  for (const chain of l.filterChains) {
    for (const f of chain.filters) {
      if (f.configType.case !== "typedConfig") continue;
      const hcm = anyUnpack(f.configType.value, HttpConnectionManagerSchema);
      if (hcm?.routeSpecifier.case === "routeConfig") routeClusters(hcm.routeSpecifier.value, into);
      const tcp = anyUnpack(f.configType.value, TcpProxySchema);
      if (tcp?.clusterSpecifier.case === "cluster") into.add(tcp.clusterSpecifier.value);
      if (tcp?.clusterSpecifier.case === "weightedClusters") for (const c of tcp.clusterSpecifier.value.clusters) into.add(c.name);
    }
  }
}
