import { type DescMessage, fromJson, type Registry, toJson } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, SECRET_TYPE_URL } from "@xdskit/cache-core";
import type { Bootstrap } from "@xdskit/envoy-api/envoy/config/bootstrap/v3/bootstrap_pb";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { ConfigReadError, type ConfigProblem } from "./config-problem.js";
import type { ConfigFormat } from "./parse-config-text.js";
import { readMessage } from "./read-message.js";
import { staticResources } from "./static-resources.js";
import { toYaml } from "./to-yaml.js";

/** Options of {@link convertStaticConfig}. */
export interface ConvertOptions {
  /** Holds every type the config uses, `typed_config` contents included (`lazyEnvoyRegistry()`). */
  readonly registry: Registry;
  /** Named in problems and notices; its extension picks the input format. Default: `"envoy.yaml"`. */
  readonly file?: string | undefined;
  /** Default: as the file's extension says (JSON for `.json`, else YAML). */
  readonly format?: ConfigFormat | undefined;
  /** How the resource files are written. Default: `"yaml"`. */
  readonly outputFormat?: ConfigFormat | undefined;
  /**
   * Where Envoy fetches the secrets that were static once they are served over SDS. Default:
   * `self` (`{self: {}}`: the example control plane puts the source its Envoys use in its place).
   */
  readonly secretConfigSource?: ConfigSource | undefined;
  /**
   * When given, also writes `bootstrap.yaml`: the input bootstrap with `static_resources` replaced
   * by one cluster to this control plane and `dynamic_resources` over ADS (gRPC, HTTP/2). Default: none.
   */
  readonly xds?: { readonly host: string; readonly port: number; readonly clusterName?: string | undefined } | undefined;
}

/** What {@link convertStaticConfig} made: files to write (name → text), or the problems of the input. */
export interface ConvertResult {
  /** `listeners.yaml`, `clusters.yaml`, `secrets.yaml` (those with resources) and, with `xds`, `bootstrap.yaml`. */
  readonly files: ReadonlyMap<string, string>;
  /** The problems of the input; no files are made when there is one. */
  readonly problems: readonly ConfigProblem[];
  /** Listeners named after their address, static secret references pointed at SDS. */
  readonly notices: readonly ConfigProblem[];
}

const outputs = [
  [LISTENER_TYPE_URL, "listeners"],
  [CLUSTER_TYPE_URL, "clusters"],
  [SECRET_TYPE_URL, "secrets"],
] as const;

/**
 * Turns a static Envoy config (a bootstrap with `static_resources`, as `envoy -c` reads it) into
 * a resource directory a control plane serves: its listeners, clusters and secrets as xDS
 * resources, one file per type, in the form @xdskit/envoy-config reads back (the example control
 * plane's config directory). Read as Envoy reads it (lower-case enums, one value for a list…);
 * an unnamed listener is named after its address; references to static secrets get
 * `secretConfigSource`. Every problem of the input is reported at once, with field path and line.
 */
export function convertStaticConfig(text: string, options: ConvertOptions): ConvertResult {
  const file = options.file ?? "envoy.yaml";
  // Types come from the registry (no static import of the Envoy API: the bootstrap pulls in most of it).
  const schema = (typeName: string): DescMessage => {
    const found = options.registry.getMessage(typeName);
    if (found === undefined) throw ConfigReadError.invalidOption(`the registry given to convertStaticConfig does not hold ${typeName}`);
    return found;
  };
  const bootstrapSchema = schema("envoy.config.bootstrap.v3.Bootstrap");
  const read = readMessage(bootstrapSchema, text, { registry: options.registry, file, format: options.format });
  if (read.message === undefined) return { files: new Map(), problems: read.problems, notices: [] };
  const bootstrap = read.message as Bootstrap;
  const secretConfigSource =
    options.secretConfigSource ?? (fromJson(schema("envoy.config.core.v3.ConfigSource"), { self: {}, resource_api_version: "V3" }) as ConfigSource);
  const { resources, notices } = staticResources(bootstrap, { registry: options.registry, file, secretConfigSource });
  const files = new Map<string, string>();
  const json = options.outputFormat === "json";
  for (const [typeUrl, base] of outputs) {
    const list = resources
      .filter((r) => r.typeUrl === typeUrl)
      .map((r) => ({ "@type": typeUrl, ...(toJson(r.schema, r.message, { registry: options.registry, useProtoFieldName: true }) as object) }));
    if (list.length === 0) continue;
    files.set(json ? `${base}.json` : `${base}.yaml`, json ? `${JSON.stringify(list, null, 2)}\n` : toYaml(list));
  }
  if (options.xds !== undefined) {
    files.set(
      "bootstrap.yaml",
      toYaml(dynamicBootstrap(toJson(bootstrapSchema, bootstrap, { registry: options.registry, useProtoFieldName: true }) as Record<string, unknown>, options.xds, resources.map((r) => r.name))),
    );
  }
  return { files, problems: [], notices };
}

/** The bootstrap with its static resources replaced by a control plane over ADS. */
function dynamicBootstrap(json: Record<string, unknown>, xds: NonNullable<ConvertOptions["xds"]>, taken: readonly string[]): Record<string, unknown> {
  let name = xds.clusterName ?? "xds_cluster";
  for (let n = 2; taken.includes(name); n++) name = `${xds.clusterName ?? "xds_cluster"}_${n}`;
  const { static_resources: _static, dynamic_resources: _dynamic, ...rest } = json;
  const ads = { ads: {}, resource_api_version: "V3" };
  return {
    ...rest,
    dynamic_resources: {
      ads_config: { api_type: "GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: name } }] },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name,
          type: "STRICT_DNS",
          connect_timeout: "1s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: name,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: xds.host, port_value: xds.port } } } }] }],
          },
        },
      ],
    },
  };
}
