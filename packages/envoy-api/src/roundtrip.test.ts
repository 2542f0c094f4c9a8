import { create, equals, fromBinary, fromJson, toBinary, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, DurationSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { envoyRegistry } from "@xdskit/envoy-api";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { SocketAddress_Protocol } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";

const address = (port: number) => ({
  address: { case: "socketAddress" as const, value: { address: "127.0.0.1", protocol: SocketAddress_Protocol.TCP, portSpecifier: { case: "portValue" as const, value: port } } },
});

function listener() {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: "ingress_http",
    routeSpecifier: {
      case: "rds",
      value: {
        routeConfigName: "local_route",
        configSource: { resourceApiVersion: 2, configSourceSpecifier: { case: "ads", value: {} } },
      },
    },
    httpFilters: [{ name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema, {})) } }],
  });
  return create(ListenerSchema, {
    name: "listener_0",
    address: address(10000),
    filterChains: [
      {
        filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }],
      },
    ],
  });
}

function tlsCluster() {
  const tls = create(UpstreamTlsContextSchema, { sni: "backend.example.com", commonTlsContext: { alpnProtocols: ["h2", "http/1.1"] } });
  return create(ClusterSchema, {
    name: "backend",
    connectTimeout: create(DurationSchema, { seconds: 5n, nanos: 250_000_000 }),
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { serviceName: "backend", edsConfig: { resourceApiVersion: 2, configSourceSpecifier: { case: "ads", value: {} } } },
    transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, tls) } },
  });
}

function routeConfig() {
  return create(RouteConfigurationSchema, {
    name: "local_route",
    virtualHosts: [
      {
        name: "backend",
        domains: ["*"],
        routes: [
          {
            match: { pathSpecifier: { case: "prefix", value: "/" } },
            action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: "backend" }, timeout: { seconds: 15n } } },
          },
        ],
      },
    ],
  });
}

function assignment() {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: "backend",
    endpoints: [
      {
        locality: { region: "eu-west-1", zone: "a" },
        loadBalancingWeight: 3,
        lbEndpoints: [
          { hostIdentifier: { case: "endpoint", value: { address: address(8080) } } },
          { hostIdentifier: { case: "endpoint", value: { address: address(8081) } }, loadBalancingWeight: 2 },
        ],
      },
    ],
  });
}

const cases: [string, DescMessage, () => MessageShape<DescMessage>][] = [
  ["listener with HCM and router in typed_config", ListenerSchema, listener],
  ["cluster with TLS transport socket", ClusterSchema, tlsCluster],
  ["route configuration", RouteConfigurationSchema, routeConfig],
  ["cluster load assignment", ClusterLoadAssignmentSchema, assignment],
];

describe("round trips", () => {
  it.each(cases)("%s survives binary", (_name, schema, make) => {
    const msg = make();
    const back = fromBinary(schema, toBinary(schema, msg));
    expect(equals(schema, msg, back)).toBe(true);
    expect(toBinary(schema, back)).toEqual(toBinary(schema, msg));
  });

  it.each(cases)("%s survives protobuf JSON", (_name, schema, make) => {
    const msg = make();
    const json = toJson(schema, msg, { registry: envoyRegistry });
    const back = fromJson(schema, json, { registry: envoyRegistry });
    expect(equals(schema, msg, back, { registry: envoyRegistry, unpackAny: true })).toBe(true);
    expect(toJson(schema, back, { registry: envoyRegistry })).toEqual(json);
  });

  it("writes Any as @type in JSON and unpacks it back", () => {
    const json = toJson(ListenerSchema, listener(), { registry: envoyRegistry }) as {
      filterChains: { filters: { typedConfig: { "@type": string; httpFilters: { typedConfig: { "@type": string } }[] } }[] }[];
    };
    const hcmJson = json.filterChains[0]?.filters[0]?.typedConfig;
    expect(hcmJson?.["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
    expect(hcmJson?.httpFilters[0]?.typedConfig["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");

    const back = fromJson(ListenerSchema, json as never, { registry: envoyRegistry });
    const filter = back.filterChains[0]?.filters[0];
    expect(filter?.configType.case).toBe("typedConfig");
    const any = filter?.configType.value;
    const hcm = any && typeof any === "object" && "typeUrl" in any ? anyUnpack(any, HttpConnectionManagerSchema) : undefined;
    expect(hcm?.statPrefix).toBe("ingress_http");
    expect(hcm?.routeSpecifier.case).toBe("rds");
  });

  it("rejects JSON with an unknown field, naming it", () => {
    expect(() => fromJson(ClusterSchema, { name: "x", notAField: 1 })).toThrow(/notAField/);
  });
});
