import { create } from "@bufbuild/protobuf";
import { DataSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import {
  DirectResponseActionSchema,
  HeaderMatcherSchema,
  RouteActionSchema,
  RouteMatchSchema,
  RouteSchema,
  VirtualHostSchema,
  WeightedCluster_ClusterWeightSchema,
  WeightedClusterSchema,
  type Route,
  type RouteMatch,
  type VirtualHost,
} from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { StringMatcherSchema } from "@xdskit/envoy-api/envoy/type/matcher/v3/string_pb";
import { RegexMatcherSchema } from "@xdskit/envoy-api/envoy/type/matcher/v3/regex_pb";
import { checkInt, checkName, durationMs, fail, subject, type Subject } from "./validate.js";

/** One cluster of a weighted split. */
export interface ClusterWeightOptions {
  /** The cluster name. */
  readonly name: string;
  /** Relative weight, ≥ 0; the weights of a route must not all be 0. */
  readonly weight: number;
}

/** Options of {@link route}: one match (default prefix `/`) and one action. */
export interface RouteOptions {
  /** Route name (shows in stats and logs). Default: none. */
  readonly name?: string | undefined;
  /** Match paths starting with this. Default when no other match is given: `/`. */
  readonly prefix?: string | undefined;
  /** Match exactly this path. */
  readonly path?: string | undefined;
  /** Match paths against this RE2 regular expression. */
  readonly safeRegex?: string | undefined;
  /** Additionally require these request headers to have exactly these values. Default: none. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Send to this cluster. */
  readonly cluster?: string | undefined;
  /** Split between these clusters by weight. */
  readonly weightedClusters?: readonly ClusterWeightOptions[] | undefined;
  /** Answer directly with this status (100..599) and optional body. */
  readonly directResponse?: { readonly status: number; readonly body?: string | undefined } | undefined;
  /** Upstream timeout in ms; 0 disables it. Default: Envoy's (15 s). Cluster actions only. */
  readonly timeoutMs?: number | undefined;
  /** Replace the matched prefix with this. Default: none. Cluster actions only. */
  readonly prefixRewrite?: string | undefined;
  /** Replace the Host header with this. Default: none. Cluster actions only. */
  readonly hostRewrite?: string | undefined;
}

/** Options of {@link virtualHost}. */
export interface VirtualHostOptions {
  /** The virtual host name, unique in its route configuration. */
  readonly name: string;
  /** Host names this virtual host serves (`*` and leading/trailing wildcards allowed). Default: `["*"]`. */
  readonly domains?: readonly string[] | undefined;
  /** Tried in order; the first match wins. */
  readonly routes: readonly Route[];
}

/** A route: a match and exactly one of `cluster`, `weightedClusters`, `directResponse`. */
export function route(opts: RouteOptions): Route {
  const s = subject("Route", opts.name);
  return buildRoute(s, opts, "");
}

/** A virtual host: domains and the routes tried for them. */
export function virtualHost(opts: VirtualHostOptions): VirtualHost {
  const s = subject("VirtualHost", opts.name);
  const name = checkName(s, "name", opts.name);
  const domains = opts.domains ?? ["*"];
  if (!Array.isArray(domains) || domains.length === 0) fail(s, "missing-field", "domains", "must list at least one domain");
  checkDomains(s, domains.map((domain, i) => ({ domain, field: `domains[${i}]` })));
  if (!Array.isArray(opts.routes)) fail(s, "missing-field", "routes", "must be a list of routes");
  return create(VirtualHostSchema, { name, domains: [...domains], routes: [...opts.routes] });
}

/** Rejects empty domains and the duplicates Envoy NACKs (compared case-insensitively, as Envoy matches them). */
export function checkDomains(s: Subject, domains: readonly { domain: unknown; field: string }[]): void {
  const seen = new Map<string, string>();
  for (const { domain, field } of domains) {
    if (typeof domain !== "string" || domain.trim() === "") fail(s, "invalid-value", field, "must be a non-empty domain");
    const key = domain.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) fail(s, "duplicate", field, `domain "${domain}" is already served by ${first}; Envoy rejects duplicate domains`);
    seen.set(key, field);
  }
}

function buildRoute(s: Subject, o: RouteOptions, at: string): Route {
  const actions = (["cluster", "weightedClusters", "directResponse"] as const).filter((k) => o[k] !== undefined);
  if (actions.length === 0) fail(s, "missing-field", `${at}cluster`, "a route needs cluster, weightedClusters or directResponse");
  if (actions.length > 1) fail(s, "conflicting-fields", `${at}${actions[1]}`, `give only one of cluster, weightedClusters, directResponse (got ${actions.join(", ")})`);
  const r = create(RouteSchema, { name: o.name ?? "", match: routeMatch(s, o, at) });
  if (o.directResponse !== undefined) {
    for (const k of ["timeoutMs", "prefixRewrite", "hostRewrite"] as const) {
      if (o[k] !== undefined) fail(s, "conflicting-fields", `${at}${k}`, "applies to cluster actions, not directResponse");
    }
    const status = checkInt(s, `${at}directResponse.status`, o.directResponse.status, 100, 599);
    const body = o.directResponse.body;
    r.action = {
      case: "directResponse",
      value: create(DirectResponseActionSchema, {
        status,
        ...(body === undefined ? {} : { body: create(DataSourceSchema, { specifier: { case: "inlineString", value: body } }) }),
      }),
    };
    return r;
  }
  const action = create(RouteActionSchema, { prefixRewrite: o.prefixRewrite ?? "" });
  if (o.cluster !== undefined) {
    action.clusterSpecifier = { case: "cluster", value: checkName(s, `${at}cluster`, o.cluster) };
  } else if (o.weightedClusters !== undefined) {
    const list = o.weightedClusters;
    if (!Array.isArray(list) || list.length === 0) fail(s, "missing-field", `${at}weightedClusters`, "must list at least one cluster");
    let total = 0;
    const clusters = list.map((c, i) => {
      const name = checkName(s, `${at}weightedClusters[${i}].name`, c.name);
      const weight = checkInt(s, `${at}weightedClusters[${i}].weight`, c.weight, 0);
      total += weight;
      return create(WeightedCluster_ClusterWeightSchema, { name, weight });
    });
    if (total === 0) fail(s, "invalid-value", `${at}weightedClusters`, "weights sum to 0; Envoy needs a positive total");
    if (total > 0xffffffff) fail(s, "invalid-value", `${at}weightedClusters`, "weights sum past 2^32-1");
    action.clusterSpecifier = { case: "weightedClusters", value: create(WeightedClusterSchema, { clusters }) };
  }
  if (o.timeoutMs !== undefined) action.timeout = durationMs(s, `${at}timeoutMs`, o.timeoutMs);
  if (o.hostRewrite !== undefined) action.hostRewriteSpecifier = { case: "hostRewriteLiteral", value: checkName(s, `${at}hostRewrite`, o.hostRewrite) };
  r.action = { case: "route", value: action };
  return r;
}

function routeMatch(s: Subject, o: RouteOptions, at: string): RouteMatch {
  const given = (["prefix", "path", "safeRegex"] as const).filter((k) => o[k] !== undefined);
  if (given.length > 1) fail(s, "conflicting-fields", `${at}${given[1]}`, `give only one of prefix, path, safeRegex (got ${given.join(", ")})`);
  const m = create(RouteMatchSchema);
  if (o.path !== undefined) {
    m.pathSpecifier = { case: "path", value: o.path };
  } else if (o.safeRegex !== undefined) {
    if (o.safeRegex === "") fail(s, "invalid-value", `${at}safeRegex`, "must not be empty");
    m.pathSpecifier = { case: "safeRegex", value: create(RegexMatcherSchema, { regex: o.safeRegex }) };
  } else {
    m.pathSpecifier = { case: "prefix", value: o.prefix ?? "/" };
  }
  for (const [name, value] of Object.entries(o.headers ?? {})) {
    if (name === "") fail(s, "invalid-value", `${at}headers`, "header names must not be empty");
    m.headers.push(
      create(HeaderMatcherSchema, {
        name,
        headerMatchSpecifier: { case: "stringMatch", value: create(StringMatcherSchema, { matchPattern: { case: "exact", value } }) },
      }),
    );
  }
  return m;
}
