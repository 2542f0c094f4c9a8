import type { DescMethodBiDiStreaming, DescService } from "@bufbuild/protobuf";
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
import type {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { EndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/eds_pb";
import { LocalityEndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/leds_pb";
import { ExtensionConfigDiscoveryService } from "@xdskit/envoy-api/envoy/service/extension/v3/config_discovery_pb";
import { ListenerDiscoveryService } from "@xdskit/envoy-api/envoy/service/listener/v3/lds_pb";
import { RouteDiscoveryService, VirtualHostDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/rds_pb";
import { ScopedRoutesDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/srds_pb";
import { RuntimeDiscoveryService } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { SecretDiscoveryService } from "@xdskit/envoy-api/envoy/service/secret/v3/sds_pb";

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
