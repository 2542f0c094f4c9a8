import type { DescMethodBiDiStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
  VIRTUAL_HOST_TYPE_URL,
} from "@xdskit/cache-core";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { EndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/eds_pb";
import { LocalityEndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/leds_pb";
import { ExtensionConfigDiscoveryService } from "@xdskit/envoy-api/envoy/service/extension/v3/config_discovery_pb";
import { ListenerDiscoveryService } from "@xdskit/envoy-api/envoy/service/listener/v3/lds_pb";
import { RouteDiscoveryService, VirtualHostDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/rds_pb";
import { ScopedRoutesDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/srds_pb";
import { RuntimeDiscoveryService } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { SecretDiscoveryService } from "@xdskit/envoy-api/envoy/service/secret/v3/sds_pb";

// The xDS services of Envoy's v3 API, as the transports route them.
/** One per-type SotW service: its streaming and fetch methods and the type it serves. */
export interface SotwService {
  readonly service: DescService;
  readonly typeUrl: string;
  /** The REST path suffix, as in `POST /v3/discovery:clusters`. */
  readonly restName: string;
  readonly stream: DescMethodBiDiStreaming<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;
  readonly fetch: DescMethodUnary<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;
}

/**
 * Every per-type SotW service of Envoy's v3 API. (Envoy's API has no rate
 * limit config discovery service: serve that type over ADS.)
 */
export const SOTW_SERVICES: readonly SotwService[] = Object.freeze([
  {
    service: ClusterDiscoveryService,
    typeUrl: CLUSTER_TYPE_URL,
    restName: "clusters",
    stream: ClusterDiscoveryService.method.streamClusters,
    fetch: ClusterDiscoveryService.method.fetchClusters,
  },
  {
    service: EndpointDiscoveryService,
    typeUrl: ENDPOINT_TYPE_URL,
    restName: "endpoints",
    stream: EndpointDiscoveryService.method.streamEndpoints,
    fetch: EndpointDiscoveryService.method.fetchEndpoints,
  },
  {
    service: ListenerDiscoveryService,
    typeUrl: LISTENER_TYPE_URL,
    restName: "listeners",
    stream: ListenerDiscoveryService.method.streamListeners,
    fetch: ListenerDiscoveryService.method.fetchListeners,
  },
  {
    service: RouteDiscoveryService,
    typeUrl: ROUTE_TYPE_URL,
    restName: "routes",
    stream: RouteDiscoveryService.method.streamRoutes,
    fetch: RouteDiscoveryService.method.fetchRoutes,
  },
  {
    service: ScopedRoutesDiscoveryService,
    typeUrl: SCOPED_ROUTE_TYPE_URL,
    restName: "scoped-routes",
    stream: ScopedRoutesDiscoveryService.method.streamScopedRoutes,
    fetch: ScopedRoutesDiscoveryService.method.fetchScopedRoutes,
  },
  {
    service: SecretDiscoveryService,
    typeUrl: SECRET_TYPE_URL,
    restName: "secrets",
    stream: SecretDiscoveryService.method.streamSecrets,
    fetch: SecretDiscoveryService.method.fetchSecrets,
  },
  {
    service: RuntimeDiscoveryService,
    typeUrl: RUNTIME_TYPE_URL,
    restName: "runtime",
    stream: RuntimeDiscoveryService.method.streamRuntime,
    fetch: RuntimeDiscoveryService.method.fetchRuntime,
  },
  {
    service: ExtensionConfigDiscoveryService,
    typeUrl: EXTENSION_CONFIG_TYPE_URL,
    restName: "extension_configs",
    stream: ExtensionConfigDiscoveryService.method.streamExtensionConfigs,
    fetch: ExtensionConfigDiscoveryService.method.fetchExtensionConfigs,
  },
]);

/** One per-type delta method and the type it serves. */
export interface DeltaService {
  readonly service: DescService;
  readonly typeUrl: string;
  readonly delta: DescMethodBiDiStreaming<typeof DeltaDiscoveryRequestSchema, typeof DeltaDiscoveryResponseSchema>;
}

/**
 * Every per-type delta method of Envoy's v3 API, including the delta-only
 * VHDS (virtual hosts) and LEDS (locality endpoints). Envoy's API has no
 * rate limit config discovery service: serve that type over delta ADS.
 */
export const DELTA_SERVICES: readonly DeltaService[] = Object.freeze([
  { service: ClusterDiscoveryService, typeUrl: CLUSTER_TYPE_URL, delta: ClusterDiscoveryService.method.deltaClusters },
  { service: EndpointDiscoveryService, typeUrl: ENDPOINT_TYPE_URL, delta: EndpointDiscoveryService.method.deltaEndpoints },
  {
    service: LocalityEndpointDiscoveryService,
    typeUrl: LB_ENDPOINT_TYPE_URL,
    delta: LocalityEndpointDiscoveryService.method.deltaLocalityEndpoints,
  },
  { service: ListenerDiscoveryService, typeUrl: LISTENER_TYPE_URL, delta: ListenerDiscoveryService.method.deltaListeners },
  { service: RouteDiscoveryService, typeUrl: ROUTE_TYPE_URL, delta: RouteDiscoveryService.method.deltaRoutes },
  {
    service: ScopedRoutesDiscoveryService,
    typeUrl: SCOPED_ROUTE_TYPE_URL,
    delta: ScopedRoutesDiscoveryService.method.deltaScopedRoutes,
  },
  {
    service: VirtualHostDiscoveryService,
    typeUrl: VIRTUAL_HOST_TYPE_URL,
    delta: VirtualHostDiscoveryService.method.deltaVirtualHosts,
  },
  { service: SecretDiscoveryService, typeUrl: SECRET_TYPE_URL, delta: SecretDiscoveryService.method.deltaSecrets },
  { service: RuntimeDiscoveryService, typeUrl: RUNTIME_TYPE_URL, delta: RuntimeDiscoveryService.method.deltaRuntime },
  {
    service: ExtensionConfigDiscoveryService,
    typeUrl: EXTENSION_CONFIG_TYPE_URL,
    delta: ExtensionConfigDiscoveryService.method.deltaExtensionConfigs,
  },
]);

type SotwStreamMethod = DescMethodBiDiStreaming<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;
type DeltaStreamMethod = DescMethodBiDiStreaming<typeof DeltaDiscoveryRequestSchema, typeof DeltaDiscoveryResponseSchema>;

/** One streaming xDS method and what it serves. */
export type StreamMethod =
  | { readonly protocol: "sotw"; readonly typeUrl: string; readonly method: SotwStreamMethod }
  | { readonly protocol: "delta"; readonly typeUrl: string; readonly method: DeltaStreamMethod };

/**
 * Every streaming xDS method of the enabled protocols: (delta) ADS, whose
 * type URL is `""`, then the per-type methods.
 */
export function streamMethods(serve: { readonly sotw: boolean; readonly delta: boolean }): StreamMethod[] {
  const methods: StreamMethod[] = [];
  if (serve.sotw) {
    methods.push({ protocol: "sotw", typeUrl: "", method: AggregatedDiscoveryService.method.streamAggregatedResources });
    for (const entry of SOTW_SERVICES) methods.push({ protocol: "sotw", typeUrl: entry.typeUrl, method: entry.stream });
  }
  if (serve.delta) {
    methods.push({ protocol: "delta", typeUrl: "", method: AggregatedDiscoveryService.method.deltaAggregatedResources });
    for (const entry of DELTA_SERVICES) methods.push({ protocol: "delta", typeUrl: entry.typeUrl, method: entry.delta });
  }
  return methods;
}

/** The HTTP/2 `:path` of a gRPC method: `/package.Service/Method`. */
export function grpcPath(method: { readonly parent: { readonly typeName: string }; readonly name: string }): string {
  return `/${method.parent.typeName}/${method.name}`;
}
