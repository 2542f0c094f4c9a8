import { isIP } from "node:net";
import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  AdminSchema,
  Bootstrap_DynamicResourcesSchema,
  Bootstrap_StaticResourcesSchema,
  BootstrapSchema,
  LayeredRuntimeSchema,
  RuntimeLayer_AdminLayerSchema,
  RuntimeLayer_RtdsLayerSchema,
  RuntimeLayerSchema,
  type Bootstrap,
} from "@xdskit/envoy-api/envoy/config/bootstrap/v3/bootstrap_pb";
import type { Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ApiConfigSource_ApiType, ApiConfigSourceSchema, ApiVersion } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { GrpcServiceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/grpc_service_pb";
import { staticCluster, strictDnsCluster } from "./clusters.js";
import { configSource, type ConfigSourceMode } from "./config-sources.js";
import { socketAddress } from "./socket-address.js";
import { checkHost, checkInt, checkName, checkPort, fail, subject, type Subject } from "./validate.js";
import { xdsTlsTransportSocket, type XdsTlsOptions } from "./xds-tls.js";

/**
 * How Envoy talks to the control plane, for listeners, clusters and runtime:
 * - `ads`: one aggregated SotW gRPC stream (`ads_config` GRPC; every type `ads: {}`).
 * - `delta-ads`: one aggregated incremental stream (`ads_config` DELTA_GRPC).
 * - `xds`: a SotW gRPC stream per type (`api_config_source` GRPC).
 * - `delta`: an incremental gRPC stream per type (DELTA_GRPC).
 * - `rest`: REST-JSON polling over HTTP/1.1.
 * Resources the control plane sends (clusters' EDS, listeners' RDS) name their
 * own config source: build them with the same mode (`configSource(mode)`).
 */
export type BootstrapMode = ConfigSourceMode;

/** Where the control plane is. */
export interface XdsServerOptions {
  /** The control plane's IP address (a STATIC cluster) or DNS name (STRICT_DNS, IPv4 preferred, re-resolved by Envoy). */
  readonly host: string;
  /** The control plane's port. */
  readonly port: number;
  /** TLS, or mutual TLS, to the control plane. Default: plaintext. */
  readonly tls?: XdsTlsOptions | undefined;
  /** The name of the static cluster that reaches the control plane. Default: `"xds_cluster"`. */
  readonly clusterName?: string | undefined;
  /** TCP connect timeout in ms (≥ 1). Default: 1000. */
  readonly connectTimeoutMs?: number | undefined;
}

/** Envoy's admin interface. */
export interface AdminOptions {
  /**
   * The IP address it listens on. Default: `"127.0.0.1"`: the admin interface
   * can change and stop Envoy, keep it off the network.
   */
  readonly address?: string | undefined;
  /** Default: 9901. 0 picks a free port (Envoy's `--admin-address-path` writes it out). */
  readonly port?: number | undefined;
}

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** `node.id`: the snapshot cache's key for the node by default (`nodeIdHash`), so it must match the key you `setSnapshot` under. */
  readonly nodeId: string;
  /**
   * `node.cluster`: the service cluster the node belongs to (stats, tracing,
   * or a `NodeHash` that groups by it). Required: Envoy refuses to fetch
   * clusters over xDS without it.
   */
  readonly cluster: string;
  /** `node.metadata`, for a `NodeHash` that groups nodes by it. Default: none. */
  readonly metadata?: JsonObject | undefined;
  /** The control plane. */
  readonly xds: XdsServerOptions;
  /** Default: `"ads"`. */
  readonly mode?: BootstrapMode | undefined;
  /**
   * How long Envoy waits for the first listeners, clusters (and runtime)
   * before starting without them; 0 waits forever. Default: Envoy's (15 s).
   */
  readonly initialFetchTimeoutMs?: number | undefined;
  /** REST polling interval in ms (`rest` mode). Default: 1000. */
  readonly refreshDelayMs?: number | undefined;
  /** The name of a runtime layer to fetch over RTDS, on top of Envoy's defaults. Default: none. */
  readonly runtimeLayer?: string | undefined;
  /** The admin interface, or `false` for none. Default: `127.0.0.1:9901`. */
  readonly admin?: AdminOptions | false | undefined;
}

const modes: readonly BootstrapMode[] = ["ads", "delta-ads", "xds", "delta", "rest"];

/**
 * An Envoy bootstrap that takes its listeners and clusters (and, with
 * `runtimeLayer`, a runtime layer below the admin layer) from the control plane at `xds`: the one static
 * resource is the cluster that reaches it (HTTP/2 for gRPC, optionally TLS or
 * mutual TLS), every config source uses `resource_api_version: V3` and
 * `transport_api_version: V3`, and the admin interface listens on
 * 127.0.0.1:9901. Render it with {@link bootstrapToYaml} or
 * {@link bootstrapToJson} and start Envoy with `envoy -c <file>`.
 *
 * @throws {BuilderError} naming the field, for a blank node id or cluster, a mode that
 *   is not one of the five, a host that is neither an IP address nor a DNS
 *   name, a port outside 1..65535, TLS without a CA, PEM text that is not PEM.
 */
export function bootstrap(opts: BootstrapOptions): Bootstrap {
  const s = subject("Bootstrap", opts.nodeId);
  const nodeId = checkName(s, "nodeId", opts.nodeId);
  const cluster = checkName(s, "cluster", opts.cluster);
  const mode = opts.mode ?? "ads";
  if (!modes.includes(mode)) fail(s, "invalid-value", "mode", `must be one of ${modes.join(", ")}, got "${String(mode)}"`);
  if (opts.xds === undefined || opts.xds === null) fail(s, "missing-field", "xds", "the control plane's host and port are required");
  const clusterName = checkName(s, "xds.clusterName", opts.xds.clusterName ?? "xds_cluster");
  const source = configSource(mode, {
    clusterName,
    refreshDelayMs: opts.refreshDelayMs,
    initialFetchTimeoutMs: opts.initialFetchTimeoutMs,
  });
  const runtimeLayer = opts.runtimeLayer === undefined ? undefined : checkName(s, "runtimeLayer", opts.runtimeLayer);

  const message = create(BootstrapSchema, {
    node: create(NodeSchema, {
      id: nodeId,
      cluster,
      ...(opts.metadata === undefined ? {} : { metadata: opts.metadata }),
    }),
    staticResources: create(Bootstrap_StaticResourcesSchema, { clusters: [xdsCluster(s, opts.xds, clusterName, mode)] }),
    dynamicResources: create(Bootstrap_DynamicResourcesSchema, {
      ldsConfig: source,
      cdsConfig: source,
      ...(mode === "ads" || mode === "delta-ads"
        ? {
            adsConfig: create(ApiConfigSourceSchema, {
              apiType: mode === "ads" ? ApiConfigSource_ApiType.GRPC : ApiConfigSource_ApiType.DELTA_GRPC,
              transportApiVersion: ApiVersion.V3,
              grpcServices: [create(GrpcServiceSchema, { targetSpecifier: { case: "envoyGrpc", value: { clusterName } } })],
              setNodeOnFirstMessageOnly: true,
            }),
          }
        : {}),
    }),
  });
  if (runtimeLayer !== undefined) {
    message.layeredRuntime = create(LayeredRuntimeSchema, {
      layers: [
        create(RuntimeLayerSchema, {
          name: "rtds",
          layerSpecifier: { case: "rtdsLayer", value: create(RuntimeLayer_RtdsLayerSchema, { name: runtimeLayer, rtdsConfig: source }) },
        }),
        // Keeps /runtime_modify working, as in Envoy's default runtime.
        create(RuntimeLayerSchema, { name: "admin", layerSpecifier: { case: "adminLayer", value: create(RuntimeLayer_AdminLayerSchema) } }),
      ],
    });
  }
  if (opts.admin !== false) {
    const admin = opts.admin ?? {};
    const address = checkHost(s, "admin.address", admin.address ?? "127.0.0.1", true);
    const port = admin.port === 0 ? 0 : checkPort(s, "admin.port", admin.port ?? 9901);
    message.admin = create(AdminSchema, { address: socketAddress(address, port) });
  }
  return message;
}

/** The static cluster that reaches the control plane: HTTP/2 for gRPC modes, HTTP/1.1 for REST. */
function xdsCluster(s: Subject, xds: XdsServerOptions, name: string, mode: BootstrapMode): Cluster {
  const host = checkHost(s, "xds.host", xds.host, false);
  const port = checkPort(s, "xds.port", xds.port);
  const connectTimeoutMs = checkInt(s, "xds.connectTimeoutMs", xds.connectTimeoutMs ?? 1000, 1, Number.MAX_SAFE_INTEGER);
  const grpc = mode !== "rest";
  const isIp = isIP(host) !== 0;
  const options = { name, connectTimeoutMs, http2: grpc, endpoints: [{ host, port }] };
  const cluster = isIp ? staticCluster(options) : strictDnsCluster({ ...options, dnsLookupFamily: "v4-preferred" });
  if (xds.tls !== undefined) cluster.transportSocket = xdsTlsTransportSocket(s, xds.tls, host, isIp, grpc);
  return cluster;
}
