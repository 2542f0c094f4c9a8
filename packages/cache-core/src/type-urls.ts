import type { DescMessage } from "@bufbuild/protobuf";

/** The prefix of every type URL xDS uses. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** CDS: `envoy.config.cluster.v3.Cluster`. */
export const CLUSTER_TYPE_URL = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
/** EDS: `envoy.config.endpoint.v3.ClusterLoadAssignment`, named by `cluster_name`. */
export const ENDPOINT_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
/**
 * LEDS: `envoy.config.endpoint.v3.LbEndpoint`. The message has no name field;
 * LEDS names are xdstp:// URLs chosen by the control plane, so pass the name
 * explicitly when preparing one.
 */
export const LB_ENDPOINT_TYPE_URL = "type.googleapis.com/envoy.config.endpoint.v3.LbEndpoint";
/** LDS: `envoy.config.listener.v3.Listener`. */
export const LISTENER_TYPE_URL = "type.googleapis.com/envoy.config.listener.v3.Listener";
/** RDS: `envoy.config.route.v3.RouteConfiguration`. */
export const ROUTE_TYPE_URL = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
/** SRDS: `envoy.config.route.v3.ScopedRouteConfiguration`. */
export const SCOPED_ROUTE_TYPE_URL = "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration";
/** VHDS: `envoy.config.route.v3.VirtualHost`. */
export const VIRTUAL_HOST_TYPE_URL = "type.googleapis.com/envoy.config.route.v3.VirtualHost";
/** SDS: `envoy.extensions.transport_sockets.tls.v3.Secret`. */
export const SECRET_TYPE_URL = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
/** RTDS: `envoy.service.runtime.v3.Runtime`. */
export const RUNTIME_TYPE_URL = "type.googleapis.com/envoy.service.runtime.v3.Runtime";
/** ECDS: `envoy.config.core.v3.TypedExtensionConfig`. */
export const EXTENSION_CONFIG_TYPE_URL = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
/**
 * `envoy.service.discovery.v3.Resource`: the wrapper a SotW server puts a
 * resource in when it carries a TTL (and, bodiless, for heartbeats). Not a
 * resource type of its own.
 */
export const RESOURCE_WRAPPER_TYPE_URL = "type.googleapis.com/envoy.service.discovery.v3.Resource";

// There is deliberately no rate limit config constant: Envoy's v3 API has no
// RateLimitConfig resource. go-control-plane serves
// "type.googleapis.com/ratelimit.config.ratelimit.v3.RateLimitConfig" from
// envoyproxy/ratelimit's own protos; register it as a custom resource type
// (see createResourceTypeRegistry) with that package's generated schema.

/**
 * The order an ADS server sends responses in when several types are pending,
 * so that a proxy never sees a reference before its target (make before
 * break): clusters, endpoints, LEDS endpoints, listeners, routes, scoped
 * routes, virtual hosts, secrets, runtime, extension configs. Types not listed
 * (custom types) come after these; see {@link compareTypeUrls}.
 */
export const ADS_RESPONSE_ORDER: readonly string[] = Object.freeze([
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  VIRTUAL_HOST_TYPE_URL,
  SECRET_TYPE_URL,
  RUNTIME_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
]);

const orderIndex = new Map(ADS_RESPONSE_ORDER.map((typeUrl, i) => [typeUrl, i]));

/**
 * Sorts type URLs into {@link ADS_RESPONSE_ORDER}; unlisted (custom) types go
 * last, ordered by type URL so the result is deterministic.
 */
export function compareTypeUrls(a: string, b: string): number {
  const ia = orderIndex.get(a) ?? ADS_RESPONSE_ORDER.length;
  const ib = orderIndex.get(b) ?? ADS_RESPONSE_ORDER.length;
  if (ia !== ib) return ia - ib;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The type URL of a message schema: `type.googleapis.com/<full name>`. */
export function typeUrlOf(schema: DescMessage): string {
  return TYPE_URL_PREFIX + schema.typeName;
}

/** The fully qualified message name in a type URL: everything after the last `/`. */
export function typeNameOfUrl(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}
