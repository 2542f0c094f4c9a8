import type { DescMethodBiDiStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import type {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { EndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/eds_pb";
import { ExtensionConfigDiscoveryService } from "@xdskit/envoy-api/envoy/service/extension/v3/config_discovery_pb";
import { ListenerDiscoveryService } from "@xdskit/envoy-api/envoy/service/listener/v3/lds_pb";
import { RouteDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/rds_pb";
import { ScopedRoutesDiscoveryService } from "@xdskit/envoy-api/envoy/service/route/v3/srds_pb";
import { RuntimeDiscoveryService } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { SecretDiscoveryService } from "@xdskit/envoy-api/envoy/service/secret/v3/sds_pb";

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
