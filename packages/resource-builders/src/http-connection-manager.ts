import { create } from "@bufbuild/protobuf";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import type { ScopedRouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManagerSchema,
  RdsSchema,
  ScopedRdsSchema,
  ScopedRouteConfigurationsListSchema,
  ScopedRoutes_ScopeKeyBuilder_FragmentBuilder_HeaderValueExtractor_KvElementSchema,
  ScopedRoutes_ScopeKeyBuilder_FragmentBuilder_HeaderValueExtractorSchema,
  ScopedRoutes_ScopeKeyBuilder_FragmentBuilderSchema,
  ScopedRoutes_ScopeKeyBuilderSchema,
  ScopedRoutesSchema,
  type HttpConnectionManager,
  type HttpFilter,
  type ScopedRoutes,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { configSource } from "./config-sources.js";
import { routerFilter } from "./http-filters.js";
import { checkInt, checkName, fail, subject, type Subject } from "./validate.js";

/** Routes fetched over RDS. */
export interface RdsOptions {
  /** The RouteConfiguration resource name. */
  readonly routeConfigName: string;
  /** Default: `configSource("ads")`. */
  readonly configSource?: ConfigSource | undefined;
}

/**
 * One fragment of the scope key, computed from a request header:
 * the whole value, the `index`-th element when split by `separator`, or the
 * value of `element.key` in a `key<element.separator>value` list split by `separator`.
 */
export interface ScopeKeyFragmentOptions {
  /** The request header the fragment is read from. */
  readonly header: string;
  /** Splits the header value into elements. Default: none (the whole value). */
  readonly separator?: string | undefined;
  /** Which element to use (0-based). Default: 0. */
  readonly index?: number | undefined;
  /** Use the value of a `key=value`-style element instead of an index. */
  readonly element?: { readonly key: string; readonly separator: string } | undefined;
}

/** Scoped routes: a scope key built from request headers selects a route configuration. */
export interface ScopedRoutesOptions {
  /** Name of this scoped-routes set (the SRDS config name). */
  readonly name: string;
  /** How the scope key is computed; a scope matches when its key has equal fragments. */
  readonly keyFragments: readonly ScopeKeyFragmentOptions[];
  /** Where the scopes' route configurations come from (RDS). Default: `configSource("ads")`. */
  readonly rdsConfigSource?: ConfigSource | undefined;
  /** Where the scopes come from (SRDS). Default: `configSource("ads")` unless `scopes` is given. */
  readonly configSource?: ConfigSource | undefined;
  /**
   * The scopes inline instead of over SRDS (see `scopedRouteConfiguration`).
   * Inline scopes must carry their route configuration inline too: Envoy does
   * not fetch RDS for them.
   */
  readonly scopes?: readonly ScopedRouteConfiguration[] | undefined;
}

/** Options of {@link httpConnectionManager}: exactly one of `rds`, `routes`, `scopedRoutes`. */
export interface HttpConnectionManagerOptions {
  /** Prefix of the connection manager's stats. */
  readonly statPrefix: string;
  /** Routes over RDS (see {@link RdsOptions}). */
  readonly rds?: RdsOptions | undefined;
  /** An inline route configuration (see `routeConfiguration`). */
  readonly routes?: RouteConfiguration | undefined;
  /** Scoped routes, over SRDS or inline (see {@link ScopedRoutesOptions}). */
  readonly scopedRoutes?: ScopedRoutesOptions | undefined;
  /** Filters that run before the router, in order (see `httpFilter`, `ecdsHttpFilter`). Default: none. */
  readonly httpFilters?: readonly HttpFilter[] | undefined;
  /** Downstream codec. Default: `"auto"` (HTTP/1.1 or HTTP/2 by ALPN or preface). */
  readonly codec?: "auto" | "http1" | "http2" | undefined;
}

/** The `envoy.filters.network.http_connection_manager` config, always ending with the router filter. */
export function httpConnectionManager(opts: HttpConnectionManagerOptions): HttpConnectionManager {
  return buildHttpConnectionManager(subject("HttpConnectionManager", opts.statPrefix), opts, "");
}

const codecs = { auto: HttpConnectionManager_CodecType.AUTO, http1: HttpConnectionManager_CodecType.HTTP1, http2: HttpConnectionManager_CodecType.HTTP2 };

// `at` prefixes field names when a listener builds the manager, so errors point at the listener's options.
export function buildHttpConnectionManager(s: Subject, o: HttpConnectionManagerOptions, at: string): HttpConnectionManager {
  const statPrefix = checkName(s, `${at}statPrefix`, o.statPrefix);
  const given = (["rds", "routes", "scopedRoutes"] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0) fail(s, "missing-field", `${at}rds`, "needs routes: rds, routes (inline) or scopedRoutes");
  if (given.length > 1) fail(s, "conflicting-fields", `${at}${given[1]}`, `give only one of rds, routes, scopedRoutes (got ${given.join(", ")})`);
  const codec = o.codec ?? "auto";
  if (!Object.hasOwn(codecs, codec)) fail(s, "invalid-value", `${at}codec`, `must be auto, http1 or http2, got "${codec}"`);
  const filters = o.httpFilters ?? [];
  filters.forEach((f, i) => {
    if (f.name === "envoy.filters.http.router") fail(s, "invalid-value", `${at}httpFilters[${i}]`, "the router is added last automatically; do not list it");
  });
  const hcm = create(HttpConnectionManagerSchema, { statPrefix, codecType: codecs[codec], httpFilters: [...filters, routerFilter()] });
  if (o.rds !== undefined) {
    hcm.routeSpecifier = {
      case: "rds",
      value: create(RdsSchema, {
        routeConfigName: checkName(s, `${at}rds.routeConfigName`, o.rds.routeConfigName),
        configSource: o.rds.configSource ?? configSource("ads"),
      }),
    };
  } else if (o.routes !== undefined) {
    hcm.routeSpecifier = { case: "routeConfig", value: o.routes };
  } else if (o.scopedRoutes !== undefined) {
    hcm.routeSpecifier = { case: "scopedRoutes", value: scopedRoutes(s, o.scopedRoutes, `${at}scopedRoutes`) };
  }
  return hcm;
}

function scopedRoutes(s: Subject, o: ScopedRoutesOptions, at: string): ScopedRoutes {
  const name = checkName(s, `${at}.name`, o.name);
  if (!Array.isArray(o.keyFragments) || o.keyFragments.length === 0) fail(s, "missing-field", `${at}.keyFragments`, "must have at least one fragment");
  const fragments = o.keyFragments.map((f, i) => keyFragment(s, f, `${at}.keyFragments[${i}]`));
  if (o.scopes !== undefined && o.configSource !== undefined) {
    fail(s, "conflicting-fields", `${at}.scopes`, "give either inline scopes or an SRDS configSource, not both");
  }
  const sr = create(ScopedRoutesSchema, {
    name,
    scopeKeyBuilder: create(ScopedRoutes_ScopeKeyBuilderSchema, { fragments }),
    rdsConfigSource: o.rdsConfigSource ?? configSource("ads"),
  });
  if (o.scopes === undefined) {
    sr.configSpecifier = { case: "scopedRds", value: create(ScopedRdsSchema, { scopedRdsConfigSource: o.configSource ?? configSource("ads") }) };
    return sr;
  }
  const names = new Set<string>();
  const keys = new Map<string, string>();
  o.scopes.forEach((scope, i) => {
    const field = `${at}.scopes[${i}]`;
    if (names.has(scope.name)) fail(s, "duplicate", `${field}.name`, `scope "${scope.name}" is listed twice`);
    names.add(scope.name);
    if (scope.routeConfiguration === undefined) {
      fail(s, "missing-field", `${field}.routeConfiguration`, `inline scope "${scope.name}" needs an inline routeConfiguration; Envoy does not fetch RDS (route_configuration_name) for inline scopes`);
    }
    const key = (scope.key?.fragments ?? []).map((f) => (f.type.case === "stringKey" ? f.type.value : ""));
    if (key.length !== fragments.length) {
      fail(s, "invalid-value", `${field}.key`, `has ${key.length} fragments but the key builder makes ${fragments.length}; it could never match`);
    }
    const k = JSON.stringify(key);
    const other = keys.get(k);
    if (other !== undefined) fail(s, "duplicate", `${field}.key`, `scope "${scope.name}" has the same key as scope "${other}"; Envoy rejects the conflict`);
    keys.set(k, scope.name);
  });
  sr.configSpecifier = {
    case: "scopedRouteConfigurationsList",
    value: create(ScopedRouteConfigurationsListSchema, { scopedRouteConfigurations: [...o.scopes] }),
  };
  return sr;
}

function keyFragment(s: Subject, f: ScopeKeyFragmentOptions, at: string) {
  const header = checkName(s, `${at}.header`, f.header);
  if (f.index !== undefined && f.element !== undefined) fail(s, "conflicting-fields", `${at}.element`, "give either index or element, not both");
  const extractor = create(ScopedRoutes_ScopeKeyBuilder_FragmentBuilder_HeaderValueExtractorSchema, {
    name: header,
    elementSeparator: f.separator ?? "",
  });
  if (f.element !== undefined) {
    extractor.extractType = {
      case: "element",
      value: create(ScopedRoutes_ScopeKeyBuilder_FragmentBuilder_HeaderValueExtractor_KvElementSchema, {
        key: checkName(s, `${at}.element.key`, f.element.key),
        separator: checkName(s, `${at}.element.separator`, f.element.separator),
      }),
    };
  } else {
    extractor.extractType = { case: "index", value: checkInt(s, `${at}.index`, f.index ?? 0, 0) };
  }
  return create(ScopedRoutes_ScopeKeyBuilder_FragmentBuilderSchema, { type: { case: "headerValueExtractor", value: extractor } });
}
