import { create } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { ExtensionConfigSourceSchema, type ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import {
  HttpFilterSchema,
  type HttpFilter,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { configSource } from "./config-sources.js";
import { checkName, fail, subject } from "./validate.js";

/** Options of {@link httpFilter}. */
export interface HttpFilterOptions {
  /** Filter name, conventionally the extension name, e.g. `envoy.filters.http.buffer`. */
  readonly name: string;
  /** The filter's config, e.g. `anyPack(BufferSchema, …)`. */
  readonly typedConfig: Any;
}

/** Options of {@link ecdsHttpFilter}. */
export interface EcdsHttpFilterOptions {
  /** The ECDS resource name: the `name` of the TypedExtensionConfig to fetch (see `extensionConfig`). */
  readonly name: string;
  /** The config types Envoy will accept for it, as type URLs; at least one. */
  readonly typeUrls: readonly string[];
  /** Where the extension config comes from. Default: `configSource("ads")`. */
  readonly configSource?: ConfigSource | undefined;
  /** Used until the first ECDS response, or when it is missing. Default: none (the listener warms until it arrives). */
  readonly defaultConfig?: Any | undefined;
  /** Serve with `defaultConfig` right away instead of warming. Default: false; needs `defaultConfig`. */
  readonly applyDefaultConfigWithoutWarming?: boolean | undefined;
}

/** An HTTP filter with an inline typed config, for a connection manager's filter list. */
export function httpFilter(opts: HttpFilterOptions): HttpFilter {
  const s = subject("HttpFilter", opts.name);
  const name = checkName(s, "name", opts.name);
  if (opts.typedConfig?.typeUrl === undefined || opts.typedConfig.typeUrl === "") fail(s, "missing-field", "typedConfig", "needs a packed config with a type URL");
  return create(HttpFilterSchema, { name, configType: { case: "typedConfig", value: opts.typedConfig } });
}

/**
 * An HTTP filter whose config Envoy fetches over ECDS (`config_discovery`):
 * the filter name is the extension config resource name it subscribes to.
 */
export function ecdsHttpFilter(opts: EcdsHttpFilterOptions): HttpFilter {
  const s = subject("HttpFilter", opts.name);
  const name = checkName(s, "name", opts.name);
  if (!Array.isArray(opts.typeUrls) || opts.typeUrls.length === 0) fail(s, "missing-field", "typeUrls", "must list at least one accepted config type URL");
  opts.typeUrls.forEach((url, i) => {
    if (typeof url !== "string" || !/^[^/]+\/[A-Za-z_][\w.]*$/.test(url)) {
      fail(s, "invalid-value", `typeUrls[${i}]`, `must be a type URL such as "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer"`);
    }
  });
  const withoutWarming = opts.applyDefaultConfigWithoutWarming ?? false;
  if (withoutWarming && opts.defaultConfig === undefined) {
    fail(s, "missing-field", "defaultConfig", "applyDefaultConfigWithoutWarming needs a defaultConfig");
  }
  if (opts.defaultConfig !== undefined && !opts.typeUrls.includes(opts.defaultConfig.typeUrl)) {
    fail(s, "invalid-value", "defaultConfig", `has type "${opts.defaultConfig.typeUrl}", which is not among typeUrls`);
  }
  return create(HttpFilterSchema, {
    name,
    configType: {
      case: "configDiscovery",
      value: create(ExtensionConfigSourceSchema, {
        configSource: opts.configSource ?? configSource("ads"),
        typeUrls: [...opts.typeUrls],
        applyDefaultConfigWithoutWarming: withoutWarming,
        ...(opts.defaultConfig === undefined ? {} : { defaultConfig: opts.defaultConfig }),
      }),
    },
  });
}

// The terminal filter every connection manager built here ends with.
export function routerFilter(): HttpFilter {
  return create(HttpFilterSchema, { name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } });
}
