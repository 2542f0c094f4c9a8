import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Cluster_DiscoveryType, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { FilterChain } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_components_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { ScopedRouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import {
  HttpConnectionManagerSchema,
  type HttpConnectionManager,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { CacheError } from "./cache-error.js";
import { WILDCARD_RESOURCE_NAME } from "./subscription.js";
import {
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  TYPE_URL_PREFIX,
} from "./type-urls.js";

/**
 * The resources a resource depends on: type URL → names. A name of `"*"`
 * means "every resource of that type" (a wildcard subscription the proxy
 * makes because of this resource, for example SRDS).
 */
export type ResourceReferences = ReadonlyMap<string, ReadonlySet<string>>;

const HCM_TYPE_URL = TYPE_URL_PREFIX + HttpConnectionManagerSchema.typeName;
const EMPTY: ResourceReferences = new Map();

class ReferenceSet {
  readonly map = new Map<string, Set<string>>();
  add(typeUrl: string, name: string): void {
    if (name === "") return;
    let names = this.map.get(typeUrl);
    if (names === undefined) {
      names = new Set();
      this.map.set(typeUrl, names);
    }
    names.add(name);
  }
  result(): ResourceReferences {
    return this.map.size === 0 ? EMPTY : this.map;
  }
}

/** CDS → EDS: an EDS cluster needs the assignment named by `eds_cluster_config.service_name`, or by the cluster name. */
export function clusterReferences(cluster: Cluster): ResourceReferences {
  const refs = new ReferenceSet();
  const kind = cluster.clusterDiscoveryType;
  if (kind.case === "type" && kind.value === Cluster_DiscoveryType.EDS) {
    refs.add(ENDPOINT_TYPE_URL, cluster.edsClusterConfig?.serviceName || cluster.name);
  }
  return refs.result();
}

/**
 * LDS → RDS and SRDS, through every HttpConnectionManager in the filter
 * chains, the default filter chain and the API listener:
 * - `rds.route_config_name` → a route configuration;
 * - `scoped_routes` with an inline scope list → each scope's route configuration;
 * - `scoped_routes.scoped_rds` → SRDS: Envoy subscribes to scoped routes as a
 *   wildcard (or to the `srds_resources_locator` collection when set), so the
 *   reference is `"*"` or that locator.
 * An inline `route_config` references nothing.
 */
export function listenerReferences(listener: Listener): ResourceReferences {
  const refs = new ReferenceSet();
  const chains: FilterChain[] = [...listener.filterChains];
  if (listener.defaultFilterChain !== undefined) chains.push(listener.defaultFilterChain);
  for (const chain of chains) {
    for (const filter of chain.filters) {
      if (filter.configType.case === "typedConfig") {
        addHcmReferences(refs, listener.name, filter.configType.value);
      }
    }
  }
  const api = listener.apiListener?.apiListener;
  if (api !== undefined) addHcmReferences(refs, listener.name, api);
  return refs.result();
}

function addHcmReferences(refs: ReferenceSet, listenerName: string, config: Any): void {
  if (config.typeUrl !== HCM_TYPE_URL) return;
  let hcm: HttpConnectionManager | undefined;
  try {
    hcm = anyUnpack(config, HttpConnectionManagerSchema);
  } catch (cause) {
    throw new CacheError("invalid-resource", `listener "${listenerName}" has an HttpConnectionManager that does not decode`, {
      typeUrl: LISTENER_TYPE_URL,
      resourceName: listenerName,
      cause,
    });
  }
  if (hcm === undefined) return;
  const spec = hcm.routeSpecifier;
  if (spec.case === "rds") {
    refs.add(ROUTE_TYPE_URL, spec.value.routeConfigName);
  } else if (spec.case === "scopedRoutes") {
    const scoped = spec.value.configSpecifier;
    if (scoped.case === "scopedRouteConfigurationsList") {
      for (const scope of scoped.value.scopedRouteConfigurations) {
        if (scope.routeConfiguration === undefined) refs.add(ROUTE_TYPE_URL, scope.routeConfigurationName);
      }
    } else if (scoped.case === "scopedRds") {
      refs.add(SCOPED_ROUTE_TYPE_URL, scoped.value.srdsResourcesLocator || WILDCARD_RESOURCE_NAME);
    }
  }
}

/** SRDS → RDS: a scope needs the route configuration named by `route_configuration_name` unless it carries one inline. */
export function scopedRouteReferences(scope: ScopedRouteConfiguration): ResourceReferences {
  const refs = new ReferenceSet();
  if (scope.routeConfiguration === undefined) refs.add(ROUTE_TYPE_URL, scope.routeConfigurationName);
  return refs.result();
}
