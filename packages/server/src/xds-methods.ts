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

// The xDS methods of Envoy's v3 API by name only. The fast path, the REST
// gateway and the grpc-js services route by these strings, so a server's
// start-up does not hydrate the service descriptors (each generated service
// file pulls in google.api annotations, and CSDS the admin types); the Connect
// routes resolve them to descriptors (xds-services.ts), loaded with Connect.
// xds-services.test.ts checks every entry against the descriptors.

/** One gRPC method of an xDS service, named as on the wire. */
export interface XdsMethod {
  /** The service's fully qualified name, e.g. `envoy.service.cluster.v3.ClusterDiscoveryService`. */
  readonly service: string;
  /** The method's name, e.g. `StreamClusters`. */
  readonly name: string;
  readonly kind: "bidi_streaming" | "unary";
}

/** The method's name as protobuf-es and grpc-js spell it: `streamClusters`. */
export function localNameOf(method: XdsMethod): string {
  return method.name.charAt(0).toLowerCase() + method.name.slice(1);
}

/** The HTTP/2 `:path` of a gRPC method: `/package.Service/Method`. */
export function grpcPath(method: XdsMethod): string {
  return `/${method.service}/${method.name}`;
}

const stream = (service: string, name: string): XdsMethod => ({ service, name, kind: "bidi_streaming" });
const unary = (service: string, name: string): XdsMethod => ({ service, name, kind: "unary" });

/** One per-type SotW service: its streaming and fetch methods and the type it serves. */
export interface SotwMethods {
  readonly typeUrl: string;
  /** The REST path suffix, as in `POST /v3/discovery:clusters`. */
  readonly restName: string;
  readonly stream: XdsMethod;
  readonly fetch: XdsMethod;
}

function sotw(typeUrl: string, restName: string, service: string, noun: string): SotwMethods {
  return { typeUrl, restName, stream: stream(service, `Stream${noun}`), fetch: unary(service, `Fetch${noun}`) };
}

const CDS = "envoy.service.cluster.v3.ClusterDiscoveryService";
const EDS = "envoy.service.endpoint.v3.EndpointDiscoveryService";
const LEDS = "envoy.service.endpoint.v3.LocalityEndpointDiscoveryService";
const LDS = "envoy.service.listener.v3.ListenerDiscoveryService";
const RDS = "envoy.service.route.v3.RouteDiscoveryService";
const SRDS = "envoy.service.route.v3.ScopedRoutesDiscoveryService";
const VHDS = "envoy.service.route.v3.VirtualHostDiscoveryService";
const SDS = "envoy.service.secret.v3.SecretDiscoveryService";
const RTDS = "envoy.service.runtime.v3.RuntimeDiscoveryService";
const ECDS = "envoy.service.extension.v3.ExtensionConfigDiscoveryService";
const ADS = "envoy.service.discovery.v3.AggregatedDiscoveryService";
const CSDS = "envoy.service.status.v3.ClientStatusDiscoveryService";

/**
 * Every per-type SotW service of Envoy's v3 API. (Envoy's API has no rate
 * limit config discovery service: serve that type over ADS.)
 */
export const SOTW_METHODS: readonly SotwMethods[] = Object.freeze([
  sotw(CLUSTER_TYPE_URL, "clusters", CDS, "Clusters"),
  sotw(ENDPOINT_TYPE_URL, "endpoints", EDS, "Endpoints"),
  sotw(LISTENER_TYPE_URL, "listeners", LDS, "Listeners"),
  sotw(ROUTE_TYPE_URL, "routes", RDS, "Routes"),
  sotw(SCOPED_ROUTE_TYPE_URL, "scoped-routes", SRDS, "ScopedRoutes"),
  sotw(SECRET_TYPE_URL, "secrets", SDS, "Secrets"),
  sotw(RUNTIME_TYPE_URL, "runtime", RTDS, "Runtime"),
  sotw(EXTENSION_CONFIG_TYPE_URL, "extension_configs", ECDS, "ExtensionConfigs"),
]);

/** One per-type delta method and the type it serves. */
export interface DeltaMethod {
  readonly typeUrl: string;
  readonly delta: XdsMethod;
}

/**
 * Every per-type delta method of Envoy's v3 API, including the delta-only
 * VHDS (virtual hosts) and LEDS (locality endpoints). Envoy's API has no
 * rate limit config discovery service: serve that type over delta ADS.
 */
export const DELTA_METHODS: readonly DeltaMethod[] = Object.freeze([
  { typeUrl: CLUSTER_TYPE_URL, delta: stream(CDS, "DeltaClusters") },
  { typeUrl: ENDPOINT_TYPE_URL, delta: stream(EDS, "DeltaEndpoints") },
  { typeUrl: LB_ENDPOINT_TYPE_URL, delta: stream(LEDS, "DeltaLocalityEndpoints") },
  { typeUrl: LISTENER_TYPE_URL, delta: stream(LDS, "DeltaListeners") },
  { typeUrl: ROUTE_TYPE_URL, delta: stream(RDS, "DeltaRoutes") },
  { typeUrl: SCOPED_ROUTE_TYPE_URL, delta: stream(SRDS, "DeltaScopedRoutes") },
  { typeUrl: VIRTUAL_HOST_TYPE_URL, delta: stream(VHDS, "DeltaVirtualHosts") },
  { typeUrl: SECRET_TYPE_URL, delta: stream(SDS, "DeltaSecrets") },
  { typeUrl: RUNTIME_TYPE_URL, delta: stream(RTDS, "DeltaRuntime") },
  { typeUrl: EXTENSION_CONFIG_TYPE_URL, delta: stream(ECDS, "DeltaExtensionConfigs") },
]);

/** ADS and delta ADS. */
export const ADS_METHODS = Object.freeze({
  stream: stream(ADS, "StreamAggregatedResources"),
  delta: stream(ADS, "DeltaAggregatedResources"),
});

/** CSDS: Envoy's client status discovery service. */
export const CSDS_METHODS = Object.freeze({
  stream: stream(CSDS, "StreamClientStatus"),
  fetch: unary(CSDS, "FetchClientStatus"),
});

/** One streaming xDS method and what it serves. */
export interface StreamMethod {
  readonly protocol: "sotw" | "delta";
  /** `""` for (delta) ADS. */
  readonly typeUrl: string;
  readonly method: XdsMethod;
}

/**
 * Every streaming xDS method of the enabled protocols: (delta) ADS, whose
 * type URL is `""`, then the per-type methods.
 */
export function streamMethods(serve: { readonly sotw: boolean; readonly delta: boolean }): StreamMethod[] {
  const methods: StreamMethod[] = [];
  if (serve.sotw) {
    methods.push({ protocol: "sotw", typeUrl: "", method: ADS_METHODS.stream });
    for (const entry of SOTW_METHODS) methods.push({ protocol: "sotw", typeUrl: entry.typeUrl, method: entry.stream });
  }
  if (serve.delta) {
    methods.push({ protocol: "delta", typeUrl: "", method: ADS_METHODS.delta });
    for (const entry of DELTA_METHODS) methods.push({ protocol: "delta", typeUrl: entry.typeUrl, method: entry.delta });
  }
  return methods;
}
