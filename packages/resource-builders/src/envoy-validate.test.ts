// Built resources, embedded in a bootstrap, checked by a real Envoy (--mode validate).
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  BuilderError,
  clusterLoadAssignment,
  configSource,
  ecdsHttpFilter,
  edsCluster,
  extensionConfig,
  generateSnapshotResources,
  httpFilter,
  httpListener,
  route,
  routeConfiguration,
  runtime,
  scopedRouteConfiguration,
  staticCluster,
  strictDnsCluster,
  tcpListener,
  tlsCertificateSecret,
  validationContextSecret,
  virtualHost,
} from "@xdskit/resource-builders";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteSchema, VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema, type RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { BufferSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { describe, expect, it } from "vitest";
import { adsConfig, json, selfSignedCertificate, validateBootstrap, xdsCluster } from "./test-support/envoy.js";

const BUFFER_TYPE_URL = `type.googleapis.com/${BufferSchema.typeName}`;

function bootstrap(parts: { clusters?: unknown[]; listeners?: unknown[]; secrets?: unknown[]; layeredRuntime?: unknown }) {
  return {
    node: { id: "resource-builders-test", cluster: "xdskit" },
    dynamic_resources: { ads_config: adsConfig },
    static_resources: { clusters: [xdsCluster, ...(parts.clusters ?? [])], listeners: parts.listeners ?? [], secrets: parts.secrets ?? [] },
    ...(parts.layeredRuntime === undefined ? {} : { layered_runtime: parts.layeredRuntime }),
  };
}

describe("a real Envoy accepts what the builders make", () => {
  it("validates clusters, assignments, routes, HTTP/TCP/TLS/scoped listeners, secrets, runtime and ECDS", () => {
    const { cert, key } = selfSignedCertificate();
    const secrets = [
      tlsCertificateSecret({ name: "server-cert", certificateChain: cert, privateKey: key }),
      validationContextSecret({ name: "ca", trustedCa: cert }),
    ];
    const clusters = [
      edsCluster({ name: "eds-ads" }),
      edsCluster({ name: "eds-xds", serviceName: "svc-xds", configSource: configSource("xds"), http2: true }),
      edsCluster({ name: "eds-delta", configSource: configSource("delta", { initialFetchTimeoutMs: 0 }) }),
      edsCluster({ name: "eds-rest", configSource: configSource("rest", { refreshDelayMs: 2500 }), lbPolicy: "least-request" }),
      staticCluster({
        name: "static-tls",
        connectTimeoutMs: 250,
        http2: true,
        tls: { sni: "localhost", validationContextSecret: "ca" },
        endpoints: [
          { host: "127.0.0.1", port: 8443, weight: 3, locality: { region: "eu", zone: "a", weight: 2 } },
          { host: "::1", port: 8443, weight: 1, locality: { region: "eu", zone: "b" } },
          { host: "127.0.0.2", port: 8443, priority: 1 },
        ],
      }),
      staticCluster({ name: "static-inline-ca", tls: { trustedCa: cert, certificate: { certificateChain: cert, privateKey: key } }, endpoints: [] }),
      strictDnsCluster({ name: "dns", endpoints: [{ host: "localhost", port: 80 }], dnsLookupFamily: "v4-only", lbPolicy: "random" }),
    ];
    const cla = clusterLoadAssignment({
      clusterName: "from-cla",
      overprovisioningFactor: 100,
      endpoints: [
        { host: "10.0.0.1", port: 80, locality: { region: "us", zone: "1" } },
        { host: "10.0.0.2", port: 80, weight: 5, locality: { region: "us", zone: "2" } },
      ],
    });
    const routes = routeConfiguration({
      name: "inline",
      virtualHosts: [
        virtualHost({
          name: "api",
          domains: ["api.example.com", "*.api.example.com"],
          routes: [
            route({ path: "/health", directResponse: { status: 200, body: "ok" } }),
            route({ safeRegex: "^/v[0-9]+/.*", cluster: "eds-ads", timeoutMs: 0, prefixRewrite: "/" }),
            route({ prefix: "/split", weightedClusters: [{ name: "eds-ads", weight: 1 }, { name: "eds-xds", weight: 0 }] }),
            route({ name: "by-header", headers: { "x-canary": "1" }, cluster: "eds-delta", hostRewrite: "canary.local", timeoutMs: 1500 }),
          ],
        }),
        virtualHost({ name: "rest", routes: [route({ cluster: "eds-rest" })] }),
      ],
    });
    const buffer = extensionConfig({ name: "buffer-config", typedConfig: anyPack(BufferSchema, create(BufferSchema, { maxRequestBytes: 1024 })) });
    const listeners = [
      httpListener({
        name: "http-inline",
        address: "127.0.0.1",
        port: 10080,
        routes,
        httpFilters: [
          httpFilter({ name: buffer.name, typedConfig: buffer.typedConfig ?? anyPack(BufferSchema, create(BufferSchema)) }),
          ecdsHttpFilter({ name: "ecds-buffer", typeUrls: [BUFFER_TYPE_URL] }),
        ],
      }),
      httpListener({ name: "http-rds", port: 10081, rds: { routeConfigName: "rds-routes" }, codec: "http1" }),
      httpListener({
        name: "http-scoped-inline",
        port: 10082,
        scopedRoutes: {
          name: "scopes",
          keyFragments: [{ header: "x-tenant" }, { header: "cookie", separator: ";", element: { key: "env", separator: "=" } }],
          scopes: [
            scopedRouteConfiguration({ name: "tenant-a", routeConfiguration: routeConfiguration({ name: "routes-a", virtualHosts: [] }), key: ["a", "prod"] }),
            scopedRouteConfiguration({ name: "tenant-b", routeConfiguration: routes, key: ["b", "prod"] }),
          ],
        },
      }),
      httpListener({
        name: "http-srds",
        port: 10083,
        scopedRoutes: { name: "srds", keyFragments: [{ header: "x-path", separator: "/", index: 1 }], configSource: configSource("ads") },
      }),
      httpListener({
        name: "https",
        port: 10443,
        tls: { certificateSecret: "server-cert", validationContextSecret: "ca", requireClientCertificate: true, alpnProtocols: ["h2", "http/1.1"] },
        routes: routeConfiguration({ name: "tls-routes", virtualHosts: [virtualHost({ name: "all", routes: [route({ cluster: "static-tls" })] })] }),
      }),
      tcpListener({ name: "tcp", port: 10090, cluster: "dns", idleTimeoutMs: 60_000 }),
      tcpListener({ name: "tcp-split", port: 10091, weightedClusters: [{ name: "dns", weight: 1 }, { name: "eds-ads", weight: 3 }] }),
    ];
    const layer = runtime({ name: "rtds-layer", layer: { "health_check.min_interval": 5, feature: { enabled: true, name: "x" } } });
    const result = validateBootstrap(
      bootstrap({
        clusters: [
          ...clusters.map((c) => json(ClusterSchema, c)),
          { ...(json(ClusterSchema, staticCluster({ name: "from-cla", endpoints: [] })) as object), load_assignment: json(ClusterLoadAssignmentSchema, cla) },
        ],
        listeners: listeners.map((l) => json(ListenerSchema, l)),
        secrets: secrets.map((s) => json(SecretSchema, s)),
        layeredRuntime: {
          layers: [
            { name: "static", static_layer: layer.layer },
            { name: "rtds", rtds_layer: { name: layer.name, rtds_config: json(ConfigSourceSchema, configSource("ads")) } },
          ],
        },
      }),
    );
    expect(result.output).toContain("OK");
    expect(result.output).not.toMatch(/deprecated/i);
    expect(result.ok).toBe(true);
  });

  it("validates a generated snapshot (EDS clusters, RDS HTTP listeners, TCP listeners) for every mode", () => {
    for (const mode of ["ads", "xds", "delta", "rest"] as const) {
      const snap = generateSnapshotResources({ clusters: 4, listeners: 3, tcpListeners: 2, endpointsPerCluster: 2, upstream: { host: "127.0.0.1", port: 9000 }, mode });
      const result = validateBootstrap(
        bootstrap({
          clusters: snap.clusters.map((c) => json(ClusterSchema, c)),
          listeners: [
            ...snap.listeners.map((l) => json(ListenerSchema, l)),
            // The generated route configurations, inline, so Envoy checks them too.
            ...snap.routes.map((rc, i) => json(ListenerSchema, httpListener({ name: `inline-${rc.name}`, port: 11000 + i, routes: rc }))),
          ],
        }),
      );
      expect(result.output, mode).toContain("OK");
      expect(result.output, mode).not.toMatch(/deprecated/i);
      expect(result.ok, mode).toBe(true);
    }
  });
});

describe("what Envoy rejects, the builders reject first", () => {
  function inlineListener(routes: RouteConfiguration) {
    return json(ListenerSchema, httpListener({ name: "l", port: 10080, routes }));
  }

  it("duplicate virtual-host domains (case-insensitive)", () => {
    const vh = (name: string, domain: string) => create(VirtualHostSchema, { name, domains: [domain], routes: [route({ cluster: "xds_cluster" })] });
    const raw = create(RouteConfigurationSchema, { name: "dup", virtualHosts: [vh("a", "Example.com"), vh("b", "example.com")] });
    const envoy = validateBootstrap(bootstrap({ listeners: [inlineListener(raw)] }));
    expect(envoy.ok).toBe(false);
    expect(envoy.output).toContain("Only unique values for domains are permitted");
    const built = () =>
      routeConfiguration({ name: "dup", virtualHosts: [virtualHost({ name: "a", domains: ["Example.com"], routes: [] }), virtualHost({ name: "b", domains: ["example.com"], routes: [] })] });
    expect(built).toThrow(BuilderError);
    expect(built).toThrow(/RouteConfiguration "dup" virtualHosts\[1\]\.domains\[0\]: domain "example.com" is already served/);
  });

  it("weighted clusters whose weights sum to 0", () => {
    const zero = create(RouteSchema, {
      match: { pathSpecifier: { case: "prefix", value: "/" } },
      action: { case: "route", value: { clusterSpecifier: { case: "weightedClusters", value: { clusters: [{ name: "xds_cluster", weight: 0 }] } } } },
    });
    const raw = create(RouteConfigurationSchema, { name: "zero", virtualHosts: [create(VirtualHostSchema, { name: "a", domains: ["*"], routes: [zero] })] });
    const envoy = validateBootstrap(bootstrap({ listeners: [inlineListener(raw)] }));
    expect(envoy.ok).toBe(false);
    expect(envoy.output).toContain("Sum of weights in the weighted_cluster must be greater than 0");
    expect(() => route({ weightedClusters: [{ name: "c", weight: 0 }] })).toThrow(expect.objectContaining({ code: "invalid-value", field: "weightedClusters" }));
  });

  it("an inline scope that names its route configuration instead of carrying it", () => {
    const scopes = scopedRouteConfiguration({ name: "a", routeConfiguration: routeConfiguration({ name: "ra", virtualHosts: [] }), key: ["a"] });
    const listener = httpListener({ name: "l", port: 10080, scopedRoutes: { name: "s", keyFragments: [{ header: "x-tenant" }], scopes: [scopes] } });
    // The same listener with the scope pointing at RDS instead, which the builder refuses to make.
    const raw = JSON.stringify(json(ListenerSchema, listener)).replace('"routeConfiguration":{"name":"ra"}', '"routeConfigurationName":"ra"');
    expect(raw).toContain('"routeConfigurationName":"ra"');
    scopes.routeConfiguration = undefined;
    scopes.routeConfigurationName = "ra";
    const envoy = validateBootstrap(bootstrap({ listeners: [JSON.parse(raw)] }));
    expect(envoy.ok).toBe(false);
    expect(envoy.output).toContain("is not supported with inline scoped routes");
    expect(() => httpListener({ name: "l", port: 10080, scopedRoutes: { name: "s", keyFragments: [{ header: "x-tenant" }], scopes: [scopes] } })).toThrow(
      expect.objectContaining({ code: "missing-field", field: "scopedRoutes.scopes[0].routeConfiguration" }),
    );
  });

  it("a STATIC cluster whose endpoint is a host name", () => {
    const cluster = staticCluster({ name: "s", endpoints: [{ host: "127.0.0.1", port: 80 }] });
    const endpoint = cluster.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier;
    const address = endpoint?.case === "endpoint" ? endpoint.value.address?.address : undefined;
    if (address?.case !== "socketAddress") throw new Error("expected a socket address");
    address.value.address = "backend.invalid";
    const envoy = validateBootstrap(bootstrap({ clusters: [json(ClusterSchema, cluster)] }));
    expect(envoy.ok).toBe(false);
    expect(envoy.output).toMatch(/malformed IP address: backend\.invalid/);
    expect(() => staticCluster({ name: "s", endpoints: [{ host: "backend.invalid", port: 80 }] })).toThrow(
      expect.objectContaining({ code: "invalid-address", field: "endpoints[0].host" }),
    );
  });
});
