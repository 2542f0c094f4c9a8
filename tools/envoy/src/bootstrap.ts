/** How Envoy talks to the control plane. */
export type XdsMode = "ads" | "xds" | "rest" | "delta" | "delta-ads";

/** Where the control plane listens: a port on 127.0.0.1, or a unix socket path. */
export type XdsAddress =
  | { xdsPort: number; xdsPath?: never }
  /**
   * A unix socket: an address that stays the control plane's while it is
   * down, for tests that restart it where Envoy expects it (a released port
   * can be taken by another process before the restart binds it again).
   */
  | { xdsPath: string; xdsPort?: never };

export type BootstrapOptions = XdsAddress & {
  mode: XdsMode;
  nodeId: string;
  nodeCluster?: string;
  /** xDS over TLS: PEM file paths Envoy uses to reach the control plane. */
  tls?: { caFile: string; certFile?: string; keyFile?: string; sni?: string };
  /** Runtime layer name fetched over RTDS (omit for no RTDS layer). */
  rtdsLayer?: string;
  /** REST polling interval; default 1 s. */
  refreshDelayMs?: number;
};

const xdsCluster = "xds_cluster";

function grpcSource(apiType: "GRPC" | "DELTA_GRPC") {
  return { api_type: apiType, transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: xdsCluster } }], set_node_on_first_message_only: true };
}

/** The config source Envoy uses for a resource type in this mode (as protobuf JSON). */
export function configSource(mode: XdsMode, refreshDelayMs = 1000): Record<string, unknown> {
  switch (mode) {
    case "ads":
    case "delta-ads":
      return { ads: {}, resource_api_version: "V3" };
    case "xds":
      return { api_config_source: grpcSource("GRPC"), resource_api_version: "V3" };
    case "delta":
      return { api_config_source: grpcSource("DELTA_GRPC"), resource_api_version: "V3" };
    case "rest":
      return {
        api_config_source: { api_type: "REST", transport_api_version: "V3", cluster_names: [xdsCluster], refresh_delay: `${refreshDelayMs / 1000}s` },
        resource_api_version: "V3",
      };
  }
}

function xdsAddress(o: XdsAddress): Record<string, unknown> {
  if (o.xdsPath !== undefined) return { pipe: { path: o.xdsPath } };
  return { socket_address: { address: "127.0.0.1", port_value: o.xdsPort } };
}

/**
 * A bootstrap that takes clusters and listeners (and, with `rtdsLayer`,
 * runtime) from the control plane in the given mode; the only static
 * resource is the cluster that reaches the control plane.
 */
export function bootstrapFor(o: BootstrapOptions): Record<string, unknown> {
  const source = configSource(o.mode, o.refreshDelayMs);
  const transportSocket = o.tls
    ? {
        transport_socket: {
          name: "envoy.transport_sockets.tls",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            sni: o.tls.sni ?? "localhost",
            common_tls_context: {
              validation_context: { trusted_ca: { filename: o.tls.caFile } },
              ...(o.tls.certFile && o.tls.keyFile
                ? { tls_certificates: [{ certificate_chain: { filename: o.tls.certFile }, private_key: { filename: o.tls.keyFile } }] }
                : {}),
              ...(o.mode === "rest" ? {} : { alpn_protocols: ["h2"] }),
            },
          },
        },
      }
    : {};
  const http2 =
    o.mode === "rest"
      ? {}
      : {
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        };
  return {
    node: { id: o.nodeId, cluster: o.nodeCluster ?? "xdskit-test" },
    dynamic_resources: {
      ...(o.mode === "ads" || o.mode === "delta-ads" ? { ads_config: grpcSource(o.mode === "ads" ? "GRPC" : "DELTA_GRPC") } : {}),
      cds_config: source,
      lds_config: source,
    },
    static_resources: {
      clusters: [
        {
          name: xdsCluster,
          type: "STATIC",
          connect_timeout: "1s",
          ...http2,
          ...transportSocket,
          load_assignment: {
            cluster_name: xdsCluster,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: xdsAddress(o) } }] }],
          },
        },
      ],
    },
    ...(o.rtdsLayer
      ? { layered_runtime: { layers: [{ name: "rtds", rtds_layer: { name: o.rtdsLayer, rtds_config: source } }] } }
      : {}),
  };
}
