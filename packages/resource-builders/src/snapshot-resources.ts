import type { Message } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  collectReferences,
  defaultResourceTypes,
  LISTENER_TYPE_URL,
  prepareResource,
  ROUTE_TYPE_URL,
  WILDCARD_RESOURCE_NAME,
  type CachedResource,
  type ResourceTypeRegistry,
} from "@xdskit/cache-core";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { fail, subject, type Subject } from "./validate.js";

/** Resources grouped by type URL, as a snapshot holds them. */
export type SnapshotResources = Readonly<Record<string, readonly Message[]>>;

/** Options of {@link prepareResources} and {@link checkSnapshotResources}. */
export interface SnapshotResourcesOptions {
  /** Where resource types (schemas, names, references) are looked up. Default: cache-core's built-in types. */
  readonly types?: ResourceTypeRegistry;
}

/**
 * The resources as cache-core `CachedResource`s (marshalled lazily, once),
 * grouped by the same type URLs, ready for a cache.
 *
 * @throws {BuilderError} `invalid-value` for a message of the wrong or an unknown type, `invalid-name` for one without a name.
 */
export function prepareResources(resources: SnapshotResources, opts: SnapshotResourcesOptions = {}): Record<string, CachedResource[]> {
  const types = opts.types ?? defaultResourceTypes;
  const out: Record<string, CachedResource[]> = {};
  for (const [typeUrl, messages] of Object.entries(resources)) {
    const s = subject("SnapshotResources", undefined);
    const type = types.get(typeUrl);
    if (type === undefined) fail(s, "invalid-value", typeUrl, "is not a known resource type; register it in `types`");
    out[typeUrl] = messages.map((message, i) => {
      try {
        return prepareResource(type.schema, message, { typeUrl, types });
      } catch (cause) {
        const code = cause instanceof CacheError && cause.code === "resource-name" ? "invalid-name" : "invalid-value";
        const why = cause instanceof Error ? cause.message : String(cause);
        return fail(s, code, `${typeUrl}[${i}]`, why, cause);
      }
    });
  }
  return out;
}

/**
 * Checks that a set of resources is consistent, as a snapshot must be before
 * it is served: names are unique per type, no two listeners bind the same
 * address and port, and every reference resolves: clusters to their EDS
 * assignments, listeners to their route configurations and scopes, scopes to
 * route configurations, and (when the set has clusters) routes and TCP
 * proxies to clusters. Wildcard references (SRDS) are satisfied by any set.
 *
 * @throws {BuilderError} `duplicate`, `dangling-reference`, or as {@link prepareResources}.
 */
export function checkSnapshotResources(resources: SnapshotResources, opts: SnapshotResourcesOptions = {}): void {
  const s = subject("SnapshotResources", undefined);
  const prepared = prepareResources(resources, opts);
  const names = new Map<string, Set<string>>();
  for (const [typeUrl, list] of Object.entries(prepared)) {
    const seen = new Set<string>();
    for (const r of list) {
      if (seen.has(r.name)) fail(s, "duplicate", typeUrl, `resource "${r.name}" appears twice`);
      seen.add(r.name);
    }
    names.set(typeUrl, seen);
  }
  checkListenerAddresses(s, (resources[LISTENER_TYPE_URL] ?? []) as readonly Listener[]);
  const refs = collectReferences(Object.values(prepared).flat(), opts.types ?? defaultResourceTypes);
  const clusters = names.get(CLUSTER_TYPE_URL);
  if (clusters !== undefined) {
    const clusterRefs = new Set<string>();
    for (const rc of (resources[ROUTE_TYPE_URL] ?? []) as readonly RouteConfiguration[]) routeClusters(rc, clusterRefs);
    for (const l of (resources[LISTENER_TYPE_URL] ?? []) as readonly Listener[]) listenerClusters(l, clusterRefs);
    refs.set(CLUSTER_TYPE_URL, new Set([...(refs.get(CLUSTER_TYPE_URL) ?? []), ...clusterRefs]));
  }
  for (const [typeUrl, wanted] of refs) {
    const have = names.get(typeUrl) ?? new Set<string>();
    for (const name of [...wanted].sort()) {
      if (name !== WILDCARD_RESOURCE_NAME && !have.has(name)) fail(s, "dangling-reference", typeUrl, `"${name}" is referenced but not in the set`);
    }
  }
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
