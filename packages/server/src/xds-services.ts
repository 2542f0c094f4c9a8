import type { DescMethod, DescMethodBiDiStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
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
import { ClientStatusDiscoveryService } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import type { XdsMethod } from "./xds-methods.js";

// The service descriptors behind the method names of xds-methods.ts, for
// Connect, whose router takes descriptors. Only the Connect routes import
// this file (and they load with Connect, on the first request that needs it).

const SERVICES: readonly DescService[] = [
  AggregatedDiscoveryService,
  ClusterDiscoveryService,
  EndpointDiscoveryService,
  LocalityEndpointDiscoveryService,
  ListenerDiscoveryService,
  RouteDiscoveryService,
  ScopedRoutesDiscoveryService,
  VirtualHostDiscoveryService,
  SecretDiscoveryService,
  RuntimeDiscoveryService,
  ExtensionConfigDiscoveryService,
  ClientStatusDiscoveryService,
];

const byPath = new Map<string, DescMethod>();
for (const service of SERVICES) for (const method of service.methods) byPath.set(`${service.typeName}/${method.name}`, method);

/** A SotW streaming method's descriptor. */
export type SotwStreamDescriptor = DescMethodBiDiStreaming<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;
/** A delta streaming method's descriptor. */
export type DeltaStreamDescriptor = DescMethodBiDiStreaming<typeof DeltaDiscoveryRequestSchema, typeof DeltaDiscoveryResponseSchema>;
/** A SotW Fetch* method's descriptor. */
export type FetchDescriptor = DescMethodUnary<typeof DiscoveryRequestSchema, typeof DiscoveryResponseSchema>;

/** The descriptor of a method of xds-methods.ts (every one has one: xds-services.test.ts). */
export function descriptorOf(method: XdsMethod): DescMethod {
  const desc = byPath.get(`${method.service}/${method.name}`);
  if (desc === undefined) throw new Error(`no descriptor for ${method.service}/${method.name}`);
  return desc;
}
