// The configuration every mode serves, at version n of 1..3: what changes per version is visible
// in traffic (which upstream answers, route, scope and ECDS response headers, the SDS certificate)
// and in Envoy's admin (runtime values, config_dump versions).
import { create, type Message } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { HeaderValueOptionSchema, MetadataSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { HeaderMutationSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/header_mutation/v3/header_mutation_pb";
import {
  clusterLoadAssignment,
  configSource,
  ecdsHttpFilter,
  edsCluster,
  extensionConfig,
  httpListener,
  route,
  routeConfiguration,
  runtime,
  scopedRouteConfiguration,
  tcpListener,
  tlsCertificateSecret,
  virtualHost,
} from "@xdskit/resource-builders";
import { type ResourcesByType, type SuiteMode, transportOf } from "./control-plane.js";

export const HEADER_MUTATION_TYPE_URL = `type.googleapis.com/${HeaderMutationSchema.typeName}`;
/** The ECDS resource the HTTP listeners' filter subscribes to. */
export const ECDS_FILTER = "version-header";
/** The bootstrap's RTDS layer. */
export const RTDS_LAYER = "xdskit-runtime";
/** The scoped-routes config of the scoped listener, and the header its scope key is read from. */
export const SCOPED_ROUTES = "scoped";
export const SCOPE_HEADER = "x-scope";
export const SCOPES = ["a", "b"] as const;
export const SERVER_CERT_SECRET = "server-cert";

/** The listeners of a mode; TLS mode adds `https`, which terminates TLS with the SDS certificate. */
export function listenerNames(mode: SuiteMode): readonly ListenerName[] {
  return mode === "tls" ? ["http", "tcp", "scoped", "https"] : ["http", "tcp", "scoped"];
}

export type ListenerName = "http" | "tcp" | "scoped" | "https";

/** The ports Envoy bound the listeners to, by name (read back from its admin). */
export type ScenarioPorts = Readonly<Partial<Record<ListenerName, number>>> & { readonly http: number; readonly tcp: number; readonly scoped: number };

/**
 * Every listener binds port 0: Envoy takes a free port as it creates the listener and the test
 * reads it back (`EnvoyProcess.waitForListenerPorts`), so no port is chosen before Envoy binds it.
 * An update of a listener whose address stays the same keeps its socket, hence its port. The
 * builders only take ports 1..65535: they get a placeholder that is replaced here.
 */
const PLACEHOLDER_PORT = 1;
function onAnyPort(listener: Listener): Listener {
  const address = listener.address?.address;
  if (address?.case !== "socketAddress") throw new Error(`listener ${listener.name} has no socket address`);
  address.value.portSpecifier = { case: "portValue", value: 0 };
  return listener;
}

export interface ScenarioOptions {
  readonly mode: SuiteMode;
  /** 1, 2 or 3. */
  readonly n: number;
  /** The three upstreams; version n sends everything to upstream n. */
  readonly upstreamPorts: readonly number[];
  /** TLS mode: the server certificate Envoy gets over SDS at this version. */
  readonly certificate?: { readonly cert: string; readonly key: string };
}

export const versionOf = (n: number): string => `v${n}`;

/** The scope key (the `x-scope` header value) of a scope at version n: keys move with the version. */
export const scopeKey = (scope: string, n: number): string => `${scope}-${versionOf(n)}`;

function withResponseHeader(config: RouteConfiguration, key: string, value: string): RouteConfiguration {
  config.responseHeadersToAdd.push(create(HeaderValueOptionSchema, { header: { key, value } }));
  return config;
}

export function scenario(o: ScenarioOptions): ResourcesByType {
  const version = versionOf(o.n);
  const source = configSource(transportOf(o.mode));
  const upstreamPort = o.upstreamPorts[o.n - 1];
  if (upstreamPort === undefined) throw new Error(`no upstream for version ${o.n}`);
  // Every resource changes at every version (Envoy keeps the version of a resource whose content did not change).
  const clusters = ["app", "tcp-app"].map((name) => edsCluster({ name, configSource: source, connectTimeoutMs: 1000 + o.n }));
  const endpoints = clusters.map((c) => clusterLoadAssignment({ clusterName: c.name, endpoints: [{ host: "127.0.0.1", port: upstreamPort }] }));
  const ecds = ecdsHttpFilter({ name: ECDS_FILTER, typeUrls: [HEADER_MUTATION_TYPE_URL], configSource: source });
  const listeners = [
    httpListener({ name: "http", statPrefix: `http-${version}`, address: "127.0.0.1", port: PLACEHOLDER_PORT, rds: { routeConfigName: "http-routes", configSource: source }, httpFilters: [ecds] }),
    tcpListener({ name: "tcp", statPrefix: `tcp-${version}`, address: "127.0.0.1", port: PLACEHOLDER_PORT, cluster: "tcp-app" }),
    httpListener({
      name: "scoped",
      statPrefix: `scoped-${version}`,
      address: "127.0.0.1",
      port: PLACEHOLDER_PORT,
      scopedRoutes: { name: SCOPED_ROUTES, keyFragments: [{ header: SCOPE_HEADER }], rdsConfigSource: source, configSource: source },
    }),
  ];
  const allToApp = (name: string) => [virtualHost({ name, routes: [route({ prefix: "/", cluster: "app", timeoutMs: 5000 })] })];
  const routes = [
    withResponseHeader(routeConfiguration({ name: "http-routes", virtualHosts: allToApp("http") }), "x-route", `http-routes@${version}`),
    ...SCOPES.map((scope) =>
      withResponseHeader(routeConfiguration({ name: `scope-${scope}-routes`, virtualHosts: allToApp(`scope-${scope}`) }), "x-route", `scope-${scope}-routes@${version}`),
    ),
  ];
  const scopes = SCOPES.map((scope) => scopedRouteConfiguration({ name: `scope-${scope}`, routeConfigurationName: `scope-${scope}-routes`, key: [scopeKey(scope, o.n)] }));
  const headerMutation = create(HeaderMutationSchema, {
    mutations: { responseMutations: [{ action: { case: "append", value: create(HeaderValueOptionSchema, { header: { key: "x-ecds", value: version } }) } }] },
  });
  const resources: Record<string, Message[]> = {
    [CLUSTER_TYPE_URL]: clusters,
    [ENDPOINT_TYPE_URL]: endpoints,
    [LISTENER_TYPE_URL]: listeners,
    [ROUTE_TYPE_URL]: routes,
    [SCOPED_ROUTE_TYPE_URL]: scopes,
    [RUNTIME_TYPE_URL]: [runtime({ name: RTDS_LAYER, layer: { xdskit: { version, n: o.n } } })],
    [EXTENSION_CONFIG_TYPE_URL]: [extensionConfig({ name: ECDS_FILTER, typedConfig: anyPack(HeaderMutationSchema, headerMutation) })],
  };
  if (o.mode === "tls") {
    if (o.certificate === undefined) throw new Error("tls mode needs a certificate");
    listeners.push(
      httpListener({
        name: "https",
        statPrefix: `https-${version}`,
        address: "127.0.0.1",
        port: PLACEHOLDER_PORT,
        rds: { routeConfigName: "http-routes", configSource: source },
        tls: { certificateSecret: SERVER_CERT_SECRET, secretConfigSource: source },
      }),
    );
    resources[SECRET_TYPE_URL] = [tlsCertificateSecret({ name: SERVER_CERT_SECRET, certificateChain: o.certificate.cert, privateKey: o.certificate.key })];
  }
  // A change of filter chains alone is applied in place, and Envoy then keeps reporting the
  // listener's previous version_info; listener metadata makes every version a full listener update.
  for (const listener of listeners) {
    onAnyPort(listener);
    listener.metadata = create(MetadataSchema, { filterMetadata: { xdskit: { version } } });
  }
  return resources;
}
