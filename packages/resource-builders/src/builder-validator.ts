import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { ResourceTypeRegistry } from "@xdskit/cache-core";
import { file_envoy_extensions_filters_http_router_v3_router } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { file_envoy_extensions_transport_sockets_tls_v3_tls } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { createValidator, type ReferenceOptions, type Validator } from "@xdskit/validate/core";

/**
 * The types the builders pack into `Any` fields (HTTP connection manager, router, TCP proxy, TLS
 * contexts, HTTP protocol options) with what they import: enough to validate what the builders
 * make without loading the whole Envoy API. Configs of other types need a `registry` that has them.
 */
export const builderRegistry: Registry = createRegistry(
  file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
  file_envoy_extensions_filters_http_router_v3_router,
  file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy,
  file_envoy_extensions_transport_sockets_tls_v3_tls,
  file_envoy_extensions_upstreams_http_v3_http_protocol_options,
);

/** The `@xdskit/validate` validator the builders check sets of resources with. */
export function builderValidator(options: {
  readonly registry?: Registry | undefined;
  readonly types?: ResourceTypeRegistry | undefined;
  readonly references: ReferenceOptions;
}): Validator {
  return createValidator({ registry: options.registry ?? builderRegistry, types: options.types, references: options.references });
}
