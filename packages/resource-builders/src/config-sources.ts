import { create } from "@bufbuild/protobuf";
import {
  AggregatedConfigSourceSchema,
  ApiConfigSource_ApiType,
  ApiConfigSourceSchema,
  ApiVersion,
  ConfigSourceSchema,
  type ConfigSource,
} from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { GrpcServiceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/grpc_service_pb";
import { checkName, durationMs, fail, subject } from "./validate.js";

/**
 * How Envoy fetches a resource type from the control plane:
 * - `ads` / `delta-ads`: over the bootstrap's ADS stream (`ads: {}`); whether
 *   that stream is SotW or delta is the bootstrap's `ads_config` choice.
 * - `xds`: its own SotW gRPC stream (`api_config_source` GRPC).
 * - `delta`: its own incremental gRPC stream (DELTA_GRPC).
 * - `rest`: REST-JSON polling (`cluster_names` + `refresh_delay`).
 */
export type ConfigSourceMode = "ads" | "delta-ads" | "xds" | "delta" | "rest";

/** Options of {@link configSource}. */
export interface ConfigSourceOptions {
  /** The static cluster that reaches the control plane (gRPC and REST modes). Default: `"xds_cluster"`. */
  readonly clusterName?: string | undefined;
  /** REST polling interval in ms. Default: 1000. */
  readonly refreshDelayMs?: number | undefined;
  /** How long Envoy waits for the first response before going on without it; 0 waits forever. Default: Envoy's (15 s). */
  readonly initialFetchTimeoutMs?: number | undefined;
  /** gRPC modes: send the node only on the first request of a stream. Default: true. */
  readonly setNodeOnFirstMessageOnly?: boolean | undefined;
}

const modes: readonly ConfigSourceMode[] = ["ads", "delta-ads", "xds", "delta", "rest"];

/**
 * A ConfigSource for the given mode, always with `resource_api_version: V3`
 * (and `transport_api_version: V3` for API sources).
 */
export function configSource(mode: ConfigSourceMode, opts: ConfigSourceOptions = {}): ConfigSource {
  const s = subject("ConfigSource", mode);
  if (!modes.includes(mode)) fail(s, "invalid-value", "mode", `must be one of ${modes.join(", ")}`);
  const timeout = opts.initialFetchTimeoutMs === undefined ? {} : { initialFetchTimeout: durationMs(s, "initialFetchTimeoutMs", opts.initialFetchTimeoutMs) };
  if (mode === "ads" || mode === "delta-ads") {
    return create(ConfigSourceSchema, {
      resourceApiVersion: ApiVersion.V3,
      configSourceSpecifier: { case: "ads", value: create(AggregatedConfigSourceSchema) },
      ...timeout,
    });
  }
  const clusterName = checkName(s, "clusterName", opts.clusterName ?? "xds_cluster");
  const apiConfigSource =
    mode === "rest"
      ? create(ApiConfigSourceSchema, {
          apiType: ApiConfigSource_ApiType.REST,
          transportApiVersion: ApiVersion.V3,
          clusterNames: [clusterName],
          refreshDelay: durationMs(s, "refreshDelayMs", opts.refreshDelayMs ?? 1000, 1),
        })
      : create(ApiConfigSourceSchema, {
          apiType: mode === "delta" ? ApiConfigSource_ApiType.DELTA_GRPC : ApiConfigSource_ApiType.GRPC,
          transportApiVersion: ApiVersion.V3,
          grpcServices: [create(GrpcServiceSchema, { targetSpecifier: { case: "envoyGrpc", value: { clusterName } } })],
          setNodeOnFirstMessageOnly: opts.setNodeOnFirstMessageOnly ?? true,
        });
  return create(ConfigSourceSchema, {
    resourceApiVersion: ApiVersion.V3,
    configSourceSpecifier: { case: "apiConfigSource", value: apiConfigSource },
    ...timeout,
  });
}
