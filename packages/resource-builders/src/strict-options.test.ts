import { equals, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import {
  checkSnapshotResources,
  clusterLoadAssignment,
  configSource,
  downstreamTlsTransportSocket,
  ecdsHttpFilter,
  edsCluster,
  generateSnapshotResources,
  httpConnectionManager,
  httpListener,
  prepareResources,
  route,
  routeConfiguration,
  scopedRouteConfiguration,
  staticCluster,
  strictDnsCluster,
  tcpListener,
  upstreamTlsTransportSocket,
  virtualHost,
} from "@xdskit/resource-builders";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { TransportSocketSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteSchema, VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { HttpConnectionManagerSchema, HttpFilterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { describe, expect, it } from "vitest";

// Under exactOptionalPropertyTypes a strict user writes `opt: cond ? x : undefined`;
// these calls compile only because every optional option accepts undefined
// (tsc checks this file), and each must build what leaving the option out builds.

const BUFFER = "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer";

function same<D extends DescMessage>(schema: D, withUndefined: MessageShape<D>, leftOut: MessageShape<D>): void {
  expect(equals(schema, withUndefined, leftOut)).toBe(true);
}

describe("options given as undefined build what leaving them out builds", () => {
  it("config sources, clusters and endpoints", () => {
    same(
      ConfigSourceSchema,
      configSource("rest", { clusterName: undefined, refreshDelayMs: undefined, initialFetchTimeoutMs: undefined, setNodeOnFirstMessageOnly: undefined }),
      configSource("rest"),
    );
    const common = { connectTimeoutMs: undefined, http2: undefined, tls: undefined, lbPolicy: undefined };
    same(ClusterSchema, edsCluster({ name: "c", ...common, serviceName: undefined, configSource: undefined }), edsCluster({ name: "c" }));
    const endpoint = { host: "10.0.0.1", port: 80, weight: undefined, priority: undefined, locality: undefined };
    same(ClusterSchema, staticCluster({ name: "c", endpoints: [endpoint], ...common }), staticCluster({ name: "c", endpoints: [{ host: "10.0.0.1", port: 80 }] }));
    same(
      ClusterSchema,
      strictDnsCluster({ name: "c", endpoints: [{ host: "db", port: 5432 }], ...common, dnsLookupFamily: undefined }),
      strictDnsCluster({ name: "c", endpoints: [{ host: "db", port: 5432 }] }),
    );
    same(
      ClusterLoadAssignmentSchema,
      clusterLoadAssignment({
        clusterName: "c",
        endpoints: [{ ...endpoint, locality: { region: undefined, zone: "a", subZone: undefined, weight: undefined } }],
        overprovisioningFactor: undefined,
      }),
      clusterLoadAssignment({ clusterName: "c", endpoints: [{ host: "10.0.0.1", port: 80, locality: { zone: "a" } }] }),
    );
  });

  it("routes, virtual hosts, route and scoped route configurations", () => {
    const routeUndefined = {
      name: undefined,
      path: undefined,
      safeRegex: undefined,
      headers: undefined,
      weightedClusters: undefined,
      directResponse: undefined,
      timeoutMs: undefined,
      prefixRewrite: undefined,
      hostRewrite: undefined,
    };
    same(RouteSchema, route({ prefix: undefined, cluster: "c", ...routeUndefined }), route({ cluster: "c" }));
    same(RouteSchema, route({ directResponse: { status: 200, body: undefined } }), route({ directResponse: { status: 200 } }));
    same(VirtualHostSchema, virtualHost({ name: "v", domains: undefined, routes: [] }), virtualHost({ name: "v", routes: [] }));
    same(RouteConfigurationSchema, routeConfiguration({ name: "r", virtualHosts: [], validateClusters: undefined }), routeConfiguration({ name: "r", virtualHosts: [] }));
    same(
      ScopedRouteConfigurationSchema,
      scopedRouteConfiguration({ name: "s", key: ["k"], routeConfigurationName: "r", routeConfiguration: undefined, onDemand: undefined }),
      scopedRouteConfiguration({ name: "s", key: ["k"], routeConfigurationName: "r" }),
    );
  });

  it("listeners, connection managers, filters and TLS", () => {
    same(
      HttpConnectionManagerSchema,
      httpConnectionManager({
        statPrefix: "h",
        rds: { routeConfigName: "r", configSource: undefined },
        routes: undefined,
        scopedRoutes: undefined,
        httpFilters: undefined,
        codec: undefined,
      }),
      httpConnectionManager({ statPrefix: "h", rds: { routeConfigName: "r" } }),
    );
    same(
      HttpConnectionManagerSchema,
      httpConnectionManager({
        statPrefix: "h",
        scopedRoutes: {
          name: "s",
          keyFragments: [{ header: "x", separator: undefined, index: undefined, element: undefined }],
          rdsConfigSource: undefined,
          configSource: undefined,
          scopes: undefined,
        },
      }),
      httpConnectionManager({ statPrefix: "h", scopedRoutes: { name: "s", keyFragments: [{ header: "x" }] } }),
    );
    same(
      ListenerSchema,
      httpListener({ name: "l", port: 80, address: undefined, statPrefix: undefined, tls: undefined, rds: { routeConfigName: "r" }, codec: undefined }),
      httpListener({ name: "l", port: 80, rds: { routeConfigName: "r" } }),
    );
    same(
      ListenerSchema,
      tcpListener({ name: "t", port: 81, cluster: "c", weightedClusters: undefined, idleTimeoutMs: undefined, address: undefined }),
      tcpListener({ name: "t", port: 81, cluster: "c" }),
    );
    same(
      HttpFilterSchema,
      ecdsHttpFilter({ name: "e", typeUrls: [BUFFER], configSource: undefined, defaultConfig: undefined, applyDefaultConfigWithoutWarming: undefined }),
      ecdsHttpFilter({ name: "e", typeUrls: [BUFFER] }),
    );
    const tls = {
      certificateSecret: "cert",
      certificate: undefined,
      validationContextSecret: undefined,
      trustedCa: undefined,
      secretConfigSource: undefined,
      alpnProtocols: undefined,
    };
    same(TransportSocketSchema, upstreamTlsTransportSocket({ ...tls, sni: undefined }), upstreamTlsTransportSocket({ certificateSecret: "cert" }));
    same(
      TransportSocketSchema,
      downstreamTlsTransportSocket({ ...tls, requireClientCertificate: undefined }),
      downstreamTlsTransportSocket({ certificateSecret: "cert" }),
    );
  });

  it("the snapshot generator and the set checks", () => {
    const upstream = { host: "127.0.0.1", port: 9000 };
    const a = generateSnapshotResources({
      clusters: 2,
      upstream,
      listeners: undefined,
      tcpListeners: undefined,
      endpointsPerCluster: undefined,
      basePort: undefined,
      listenerAddress: undefined,
      mode: undefined,
      configSourceOptions: undefined,
      version: undefined,
    });
    const b = generateSnapshotResources({ clusters: 2, upstream });
    expect(a.version).toBe(b.version);
    const hashes = (g: typeof a) => Object.values(prepareResources(g.resources)).flatMap((list) => list.map((r) => r.hash));
    expect(hashes(a)).toEqual(hashes(b));
    expect(() => checkSnapshotResources(a.resources, { types: undefined, externalTypes: undefined, registry: undefined })).not.toThrow();
    expect(Object.keys(prepareResources(a.resources, { types: undefined }))).toContain(CLUSTER_TYPE_URL);
    expect(() => checkSnapshotResources({ [CLUSTER_TYPE_URL]: a.clusters }, { externalTypes: undefined })).toThrow(
      expect.objectContaining({ code: "dangling-reference", message: expect.stringContaining("refers to ClusterLoadAssignment") }),
    );
  });
});
