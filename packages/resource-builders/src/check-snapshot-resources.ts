import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Registry } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { formatViolation, ValidationError, type Violation } from "@xdskit/validate/core";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { type MessagesByType, type PrepareResourcesOptions, prepareResources, RESOURCE_SET } from "./prepare-resources.js";
import type { BuilderErrorCode } from "./builder-error.js";
import { builderValidator } from "./builder-validator.js";
import { fail, subject } from "./validate.js";

/** Options of {@link checkSnapshotResources}. */
export interface CheckSnapshotResourcesOptions extends PrepareResourcesOptions {
  /**
   * Types another cache serves (for example `[ENDPOINT_TYPE_URL]` when a
   * linear cache behind a mux serves EDS): references to them are not
   * dangling. Default: none, the set must be self-contained.
   */
  readonly externalTypes?: Iterable<string> | undefined;
  /**
   * Where the types of `Any` contents are found; a config of a type it does
   * not know is refused. Default: {@link builderRegistry} (what the builders
   * pack); pass `envoyRegistry` from `@xdskit/envoy-api` (or a registry of
   * your own) when the set holds other typed configs.
   */
  readonly registry?: Registry | undefined;
}

// The BuilderError code for a set of violations: what the first fix should be.
function codeOf(violations: readonly Violation[]): BuilderErrorCode {
  const rules = new Set(violations.map((v) => v.rule));
  if (rules.has("reference.missing")) return "dangling-reference";
  if (rules.has("resource.duplicate-name") || rules.has("listener.duplicate-address")) return "duplicate";
  if ([...rules].every((rule) => rule === "reference.unused")) return "unreferenced";
  return "invalid-value";
}

/**
 * Checks a set of resources as a snapshot must be before it is served, with
 * the validator of `@xdskit/validate` (the same rules caches apply with their
 * `validate` option): each resource's PGV rules (through every `Any`), names
 * unique per type, the semantic checks (listeners on one address and port,
 * duplicate domains, weighted clusters, …), every reference resolving
 * (clusters to their EDS assignments, listeners to their route
 * configurations, scopes to route configurations, and, when the set has
 * clusters, routes and TCP proxies to clusters), and no endpoint assignment
 * or route configuration left that nothing references. Wildcard references
 * (SRDS) are satisfied by any set.
 *
 * @throws {BuilderError} naming every violation at once (its `cause` is the
 *   `ValidationError` holding them all): `dangling-reference` when a reference
 *   does not resolve, else `duplicate`, else `unreferenced` when that is all,
 *   else `invalid-value`; or as {@link prepareResources}.
 */
export function checkSnapshotResources(resources: MessagesByType, opts: CheckSnapshotResourcesOptions = {}): void {
  const s = subject(RESOURCE_SET, undefined);
  const prepared = prepareResources(resources, opts);
  const listeners = (resources[LISTENER_TYPE_URL] ?? []) as readonly Listener[];
  // Clusters referenced by routes and TCP proxies are checked only when the
  // set has clusters: otherwise they may be static ones in the bootstrap.
  const clusterRefs = new Set<string>();
  if (prepared[CLUSTER_TYPE_URL] !== undefined) {
    for (const rc of (resources[ROUTE_TYPE_URL] ?? []) as readonly RouteConfiguration[]) routeClusters(rc, clusterRefs);
    for (const l of listeners) listenerClusters(l, clusterRefs);
  }
  const validator = builderValidator({
    registry: opts.registry,
    types: opts.types,
    references: { externalTypes: opts.externalTypes, references: new Map([[CLUSTER_TYPE_URL, clusterRefs]]), unused: true },
  });
  const { violations } = validator.validateSnapshot(prepared);
  if (violations.length === 0) return;
  const error = new ValidationError(violations);
  const one = violations.length === 1 ? violations[0] : undefined;
  const field = one === undefined ? undefined : `${one.typeUrl} "${one.resourceName}"${one.field === "" ? "" : ` ${one.field}`}`;
  fail(s, codeOf(violations), field, violations.map(formatViolation).join("; "), error);
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
