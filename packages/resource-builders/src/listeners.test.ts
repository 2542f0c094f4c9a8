import { create } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import {
  configSource,
  ecdsHttpFilter,
  httpConnectionManager,
  httpFilter,
  httpListener,
  route,
  routeConfiguration,
  scopedRouteConfiguration,
  tcpListener,
  virtualHost,
} from "@xdskit/resource-builders";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { BufferSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManagerSchema,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { DownstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { describe, expect, it } from "vitest";

const BUFFER_URL = `type.googleapis.com/${BufferSchema.typeName}`;
const buffer = anyPack(BufferSchema, create(BufferSchema, { maxRequestBytes: 10 }));

function hcmOf(l: Listener) {
  const f = l.filterChains[0]?.filters[0];
  expect(f?.name).toBe("envoy.filters.network.http_connection_manager");
  const hcm = f?.configType.case === "typedConfig" ? anyUnpack(f.configType.value, HttpConnectionManagerSchema) : undefined;
  if (hcm === undefined) throw new Error("no connection manager");
  return hcm;
}

const routes = routeConfiguration({ name: "inline", virtualHosts: [virtualHost({ name: "all", routes: [route({ cluster: "c" })] })] });

describe("httpListener", () => {
  it("takes port 0 (Envoy binds a free port) and refuses ports outside 0..65535", () => {
    const l = httpListener({ name: "web", port: 0, rds: { routeConfigName: "web-routes" } });
    expect(l.address?.address).toMatchObject({ case: "socketAddress", value: { portSpecifier: { case: "portValue", value: 0 } } });
    for (const port of [-1, 65536, 1.5]) {
      expect(() => httpListener({ name: "web", port, rds: { routeConfigName: "r" } })).toThrow(/Listener "web" port: must be an integer in 1\.\.65535/);
    }
  });
  it("binds 0.0.0.0, prefixes stats with its name and fetches routes over RDS via ADS by default", () => {
    const l = httpListener({ name: "web", port: 8080, rds: { routeConfigName: "web-routes" } });
    expect(l.name).toBe("web");
    expect(l.address?.address).toMatchObject({ case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: 8080 } } });
    const hcm = hcmOf(l);
    expect(hcm.statPrefix).toBe("web");
    expect(hcm.codecType).toBe(HttpConnectionManager_CodecType.AUTO);
    expect(hcm.routeSpecifier).toMatchObject({ case: "rds", value: { routeConfigName: "web-routes", configSource: { configSourceSpecifier: { case: "ads" } } } });
    expect(hcm.httpFilters.map((f) => f.name)).toEqual(["envoy.filters.http.router"]);
    expect(l.filterChains[0]?.transportSocket).toBeUndefined();
  });

  it("takes inline routes, filters before the router, a codec, an address and TLS", () => {
    const l = httpListener({
      name: "web",
      address: "::1",
      port: 8443,
      statPrefix: "ingress",
      codec: "http2",
      routes,
      httpFilters: [httpFilter({ name: "envoy.filters.http.buffer", typedConfig: buffer }), ecdsHttpFilter({ name: "dyn", typeUrls: [BUFFER_URL] })],
      tls: { certificateSecret: "cert", secretConfigSource: configSource("ads") },
    });
    const hcm = hcmOf(l);
    expect(hcm.statPrefix).toBe("ingress");
    expect(hcm.codecType).toBe(HttpConnectionManager_CodecType.HTTP2);
    expect(hcm.routeSpecifier).toMatchObject({ case: "routeConfig", value: { name: "inline" } });
    expect(hcm.httpFilters.map((f) => f.name)).toEqual(["envoy.filters.http.buffer", "dyn", "envoy.filters.http.router"]);
    const socket = l.filterChains[0]?.transportSocket?.configType;
    const tls = socket?.case === "typedConfig" ? anyUnpack(socket.value, DownstreamTlsContextSchema) : undefined;
    expect(tls?.commonTlsContext?.tlsCertificateSdsSecretConfigs[0]).toMatchObject({ name: "cert", sdsConfig: { configSourceSpecifier: { case: "ads" } } });
  });

  it("builds scoped routes over SRDS or with inline scopes", () => {
    const srds = hcmOf(
      httpListener({ name: "s", port: 1, scopedRoutes: { name: "scopes", keyFragments: [{ header: "x-tenant" }], configSource: configSource("delta") } }),
    );
    if (srds.routeSpecifier.case !== "scopedRoutes") throw new Error("expected scoped routes");
    expect(srds.routeSpecifier.value.configSpecifier.case).toBe("scopedRds");
    expect(srds.routeSpecifier.value.rdsConfigSource?.configSourceSpecifier.case).toBe("ads");
    const fragment = srds.routeSpecifier.value.scopeKeyBuilder?.fragments[0]?.type.value;
    expect(fragment).toMatchObject({ name: "x-tenant", elementSeparator: "", extractType: { case: "index", value: 0 } });

    const inline = hcmOf(
      httpListener({
        name: "s",
        port: 1,
        scopedRoutes: {
          name: "scopes",
          keyFragments: [{ header: "cookie", separator: ";", element: { key: "tenant", separator: "=" } }],
          scopes: [scopedRouteConfiguration({ name: "a", routeConfiguration: routes, key: ["a"] })],
        },
      }),
    );
    if (inline.routeSpecifier.case !== "scopedRoutes") throw new Error("expected scoped routes");
    expect(inline.routeSpecifier.value.configSpecifier).toMatchObject({ case: "scopedRouteConfigurationsList", value: { scopedRouteConfigurations: [{ name: "a" }] } });
    expect(inline.routeSpecifier.value.scopeKeyBuilder?.fragments[0]?.type.value).toMatchObject({
      elementSeparator: ";",
      extractType: { case: "element", value: { key: "tenant", separator: "=" } },
    });
  });

  it("rejects what Envoy would: no or several route sources, bad ports and addresses, a listed router, bad scopes", () => {
    expect(() => httpListener({ name: "l", port: 1 })).toThrow(expect.objectContaining({ code: "missing-field", resourceType: "Listener", field: "rds" }));
    expect(() => httpListener({ name: "l", port: 1, routes, rds: { routeConfigName: "r" } })).toThrow(expect.objectContaining({ code: "conflicting-fields" }));
    expect(() => httpListener({ name: "l", port: 65536, routes })).toThrow(expect.objectContaining({ code: "invalid-port", field: "port" }));
    expect(() => httpListener({ name: "l", port: 70000, routes })).toThrow(/Listener "l" port: must be an integer in 1\.\.65535, got 70000/);
    expect(() => httpListener({ name: "l", port: 1, address: "localhost", routes })).toThrow(expect.objectContaining({ code: "invalid-address", field: "address" }));
    expect(() => httpListener({ name: "", port: 1, routes })).toThrow(expect.objectContaining({ code: "invalid-name" }));
    expect(() => httpListener({ name: "l", port: 1, rds: { routeConfigName: "" } })).toThrow(expect.objectContaining({ field: "rds.routeConfigName" }));
    const router = hcmOf(httpListener({ name: "x", port: 1, routes })).httpFilters[0];
    if (router === undefined) throw new Error("no router");
    expect(() => httpListener({ name: "l", port: 1, routes, httpFilters: [router] })).toThrow(expect.objectContaining({ code: "invalid-value", field: "httpFilters[0]" }));
    expect(() => httpListener({ name: "l", port: 1, routes, tls: {} })).toThrow(expect.objectContaining({ code: "missing-field", field: "tls.certificateSecret" }));
    expect(() => httpListener({ name: "l", port: 1, routes, tls: { certificateSecret: "c", requireClientCertificate: true } })).toThrow(
      expect.objectContaining({ code: "missing-field", field: "tls.trustedCa" }),
    );
    const scoped = (scopes: ReturnType<typeof scopedRouteConfiguration>[], fragments = 1) =>
      httpListener({ name: "l", port: 1, scopedRoutes: { name: "s", keyFragments: Array.from({ length: fragments }, () => ({ header: "h" })), scopes } });
    expect(() => scoped([scopedRouteConfiguration({ name: "a", routeConfigurationName: "r", key: ["a"] })])).toThrow(
      expect.objectContaining({ code: "missing-field", field: "scopedRoutes.scopes[0].routeConfiguration" }),
    );
    const a = scopedRouteConfiguration({ name: "a", routeConfiguration: routes, key: ["k"] });
    const b = scopedRouteConfiguration({ name: "b", routeConfiguration: routes, key: ["k"] });
    expect(() => scoped([a, b])).toThrow(expect.objectContaining({ code: "duplicate", field: "scopedRoutes.scopes[1].key" }));
    expect(() => scoped([a, a])).toThrow(expect.objectContaining({ code: "duplicate", field: "scopedRoutes.scopes[1].name" }));
    expect(() => scoped([a], 2)).toThrow(/has 1 fragments but the key builder makes 2/);
    expect(() => httpListener({ name: "l", port: 1, scopedRoutes: { name: "s", keyFragments: [] } })).toThrow(expect.objectContaining({ code: "missing-field" }));
    expect(() => httpListener({ name: "l", port: 1, scopedRoutes: { name: "s", keyFragments: [{ header: "h", index: 1, element: { key: "k", separator: "=" } }] } })).toThrow(
      expect.objectContaining({ code: "conflicting-fields" }),
    );
  });
});

describe("tcpListener", () => {
  it("proxies to a cluster or splits by weight", () => {
    const l = tcpListener({ name: "db", port: 5432, cluster: "postgres", idleTimeoutMs: 30_000 });
    const f = l.filterChains[0]?.filters[0];
    expect(f?.name).toBe("envoy.filters.network.tcp_proxy");
    const proxy = f?.configType.case === "typedConfig" ? anyUnpack(f.configType.value, TcpProxySchema) : undefined;
    expect(proxy).toMatchObject({ statPrefix: "db", clusterSpecifier: { case: "cluster", value: "postgres" }, idleTimeout: { seconds: 30n } });
    const split = tcpListener({ name: "db", port: 5432, weightedClusters: [{ name: "a", weight: 1 }, { name: "b", weight: 2 }] });
    const sf = split.filterChains[0]?.filters[0]?.configType;
    const sp = sf?.case === "typedConfig" ? anyUnpack(sf.value, TcpProxySchema) : undefined;
    expect(sp?.clusterSpecifier).toMatchObject({ case: "weightedClusters", value: { clusters: [{ name: "a", weight: 1 }, { name: "b", weight: 2 }] } });
  });

  it("needs exactly one of cluster and weightedClusters, with weights of at least 1", () => {
    expect(() => tcpListener({ name: "t", port: 1 })).toThrow(expect.objectContaining({ code: "missing-field", field: "cluster" }));
    expect(() => tcpListener({ name: "t", port: 1, cluster: "a", weightedClusters: [{ name: "b", weight: 1 }] })).toThrow(expect.objectContaining({ code: "conflicting-fields" }));
    expect(() => tcpListener({ name: "t", port: 1, weightedClusters: [{ name: "b", weight: 0 }] })).toThrow(expect.objectContaining({ field: "weightedClusters[0].weight" }));
  });
});

describe("http filters and httpConnectionManager", () => {
  it("ecdsHttpFilter subscribes by name with the accepted types, over ADS by default", () => {
    const f = ecdsHttpFilter({ name: "buf", typeUrls: [BUFFER_URL], defaultConfig: buffer, applyDefaultConfigWithoutWarming: true, configSource: configSource("xds") });
    expect(f.name).toBe("buf");
    expect(f.configType).toMatchObject({
      case: "configDiscovery",
      value: { typeUrls: [BUFFER_URL], applyDefaultConfigWithoutWarming: true, defaultConfig: { typeUrl: BUFFER_URL }, configSource: { configSourceSpecifier: { case: "apiConfigSource" } } },
    });
    expect(ecdsHttpFilter({ name: "b", typeUrls: [BUFFER_URL] }).configType).toMatchObject({ value: { configSource: { configSourceSpecifier: { case: "ads" } } } });
  });

  it("ecdsHttpFilter and httpFilter reject incomplete input", () => {
    expect(() => ecdsHttpFilter({ name: "b", typeUrls: [] })).toThrow(expect.objectContaining({ code: "missing-field", field: "typeUrls" }));
    expect(() => ecdsHttpFilter({ name: "b", typeUrls: ["Buffer"] })).toThrow(expect.objectContaining({ code: "invalid-value", field: "typeUrls[0]" }));
    expect(() => ecdsHttpFilter({ name: "b", typeUrls: [BUFFER_URL], applyDefaultConfigWithoutWarming: true })).toThrow(expect.objectContaining({ field: "defaultConfig" }));
    expect(() => ecdsHttpFilter({ name: "b", typeUrls: ["type.googleapis.com/x.Y"], defaultConfig: buffer })).toThrow(/not among typeUrls/);
    expect(() => httpFilter({ name: "f", typedConfig: create(BufferSchema) as never })).toThrow(expect.objectContaining({ code: "missing-field" }));
  });

  it("httpConnectionManager builds the filter config on its own", () => {
    const hcm = httpConnectionManager({ statPrefix: "api", routes, codec: "http1" });
    expect(hcm.codecType).toBe(HttpConnectionManager_CodecType.HTTP1);
    expect(hcm.httpFilters.at(-1)?.name).toBe("envoy.filters.http.router");
    expect(() => httpConnectionManager({ statPrefix: "", routes })).toThrow(expect.objectContaining({ resourceType: "HttpConnectionManager", code: "invalid-name" }));
  });
});
