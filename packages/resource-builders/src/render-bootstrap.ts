import { createRegistry, type JsonObject, type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { type Bootstrap, BootstrapSchema } from "@xdskit/envoy-api/envoy/config/bootstrap/v3/bootstrap_pb";
import { file_envoy_extensions_transport_sockets_tls_v3_tls } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { createRequire } from "node:module";

/** Options of {@link bootstrapToJson} and {@link bootstrapToYaml}. */
export interface RenderBootstrapOptions {
  /**
   * Where the messages packed in `Any` fields are found (`toJson` needs them to
   * write `"@type"`). Default: the two types {@link bootstrap} packs (the
   * control-plane cluster's HTTP/2 options and TLS context); pass your own
   * when you add resources with other typed configs to the bootstrap.
   */
  readonly registry?: Registry | undefined;
}

// Only what bootstrap() packs, not the whole Envoy API: loading every Envoy type costs seconds.
const bootstrapRegistry = createRegistry(file_envoy_extensions_transport_sockets_tls_v3_tls, file_envoy_extensions_upstreams_http_v3_http_protocol_options);

/**
 * A bootstrap as protobuf JSON, with the field names of Envoy's docs
 * (`static_resources`, `port_value`): write it out with `JSON.stringify` and
 * start Envoy with `envoy -c bootstrap.json`.
 */
export function bootstrapToJson(message: Bootstrap, options: RenderBootstrapOptions = {}): JsonObject {
  const json = toJson(BootstrapSchema, message, { registry: options.registry ?? bootstrapRegistry, useProtoFieldName: true });
  return typeFirst(json) as JsonObject;
}

/** The same JSON with `"@type"` first in every object, where Envoy's docs (and readers) look for it. */
function typeFirst(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(typeFirst);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  if ("@type" in value) out["@type"] = value["@type"] ?? null;
  for (const [key, field] of Object.entries(value)) if (key !== "@type" && field !== undefined) out[key] = typeFirst(field);
  return out;
}

// `yaml` (about 70 modules, ~70 ms to load) is loaded by the first YAML rendering, not by every
// importer of the builders: a control plane that only builds resources never pays for it.
// Its node entry point is CommonJS, so a synchronous require keeps this function synchronous.
let yaml: typeof import("yaml") | undefined;

/** A bootstrap as YAML (the protobuf JSON of {@link bootstrapToJson}), ready for `envoy -c bootstrap.yaml`. */
export function bootstrapToYaml(message: Bootstrap, options: RenderBootstrapOptions = {}): string {
  yaml ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.stringify(bootstrapToJson(message, options));
}
