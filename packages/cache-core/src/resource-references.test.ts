import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  collectReferences,
  createResourceTypeRegistry,
  defineResourceType,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  prepareRawResource,
  prepareResource,
  resourceReferences,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  marshalDeterministic,
} from "@xdskit/cache-core";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";

type HcmInit = MessageInitShape<typeof HttpConnectionManagerSchema>;

function hcmFilter(init: HcmInit) {
  return {
    name: "envoy.filters.network.http_connection_manager",
    configType: { case: "typedConfig" as const, value: anyPack(HttpConnectionManagerSchema, create(HttpConnectionManagerSchema, init)) },
  };
}

const rds = (routeConfigName: string): HcmInit => ({ routeSpecifier: { case: "rds", value: { routeConfigName } } });

function plain(refs: ReadonlyMap<string, ReadonlySet<string>>): Record<string, string[]> {
  return Object.fromEntries([...refs].map(([k, v]) => [k, [...v].sort()]));
}

describe("resourceReferences", () => {
  it("CDS → EDS: eds_cluster_config.service_name when set", () => {
    const cluster = create(ClusterSchema, {
      name: "c",
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { serviceName: "svc" },
    });
    expect(plain(resourceReferences(ClusterSchema, cluster))).toEqual({ [ENDPOINT_TYPE_URL]: ["svc"] });
  });

  it("CDS → EDS: the cluster name without service_name", () => {
    const cluster = create(ClusterSchema, {
      name: "c",
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: {},
    });
    expect(plain(resourceReferences(ClusterSchema, cluster))).toEqual({ [ENDPOINT_TYPE_URL]: ["c"] });
  });

  it("a non-EDS cluster references nothing", () => {
    const cluster = create(ClusterSchema, { name: "c", clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STRICT_DNS } });
    expect(resourceReferences(ClusterSchema, cluster).size).toBe(0);
  });

  it("LDS → RDS through filter chains and the default filter chain", () => {
    const listener = create(ListenerSchema, {
      name: "l",
      filterChains: [
        { filters: [hcmFilter(rds("r1"))] },
        {
          filters: [
            { name: "tcp", configType: { case: "typedConfig", value: anyPack(TcpProxySchema, create(TcpProxySchema, { statPrefix: "x" })) } },
            hcmFilter(rds("r2")),
          ],
        },
        { filters: [hcmFilter(rds("r1"))] },
      ],
      defaultFilterChain: { filters: [hcmFilter(rds("r-default"))] },
    });
    expect(plain(resourceReferences(ListenerSchema, listener))).toEqual({ [ROUTE_TYPE_URL]: ["r-default", "r1", "r2"] });
  });

  it("LDS → RDS through the API listener", () => {
    const listener = create(ListenerSchema, {
      name: "grpc",
      apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, create(HttpConnectionManagerSchema, rds("r-api"))) },
    });
    expect(plain(resourceReferences(ListenerSchema, listener))).toEqual({ [ROUTE_TYPE_URL]: ["r-api"] });
  });

  it("an inline route_config gives no RDS reference", () => {
    const listener = create(ListenerSchema, {
      name: "l",
      filterChains: [{ filters: [hcmFilter({ routeSpecifier: { case: "routeConfig", value: { name: "inline" } } })] }],
    });
    expect(resourceReferences(ListenerSchema, listener).size).toBe(0);
  });

  it("LDS → RDS through an inline scoped route list; inline scope routes give nothing", () => {
    const listener = create(ListenerSchema, {
      name: "l",
      filterChains: [
        {
          filters: [
            hcmFilter({
              routeSpecifier: {
                case: "scopedRoutes",
                value: {
                  name: "scopes",
                  configSpecifier: {
                    case: "scopedRouteConfigurationsList",
                    value: {
                      scopedRouteConfigurations: [
                        { name: "s1", routeConfigurationName: "r-s1" },
                        { name: "s2", routeConfigurationName: "ignored", routeConfiguration: { name: "inline" } },
                      ],
                    },
                  },
                },
              },
            }),
          ],
        },
      ],
    });
    expect(plain(resourceReferences(ListenerSchema, listener))).toEqual({ [ROUTE_TYPE_URL]: ["r-s1"] });
  });

  it("LDS → SRDS: a wildcard, or the srds_resources_locator", () => {
    const scopedRds = (srdsResourcesLocator: string) =>
      create(ListenerSchema, {
        name: "l",
        filterChains: [
          {
            filters: [
              hcmFilter({
                routeSpecifier: {
                  case: "scopedRoutes",
                  value: { name: "scopes", configSpecifier: { case: "scopedRds", value: { srdsResourcesLocator } } },
                },
              }),
            ],
          },
        ],
      });
    expect(plain(resourceReferences(ListenerSchema, scopedRds("")))).toEqual({ [SCOPED_ROUTE_TYPE_URL]: ["*"] });
    const locator = "xdstp://example/envoy.config.route.v3.ScopedRouteConfiguration/*";
    expect(plain(resourceReferences(ListenerSchema, scopedRds(locator)))).toEqual({ [SCOPED_ROUTE_TYPE_URL]: [locator] });
  });

  it("SRDS → RDS via route_configuration_name, not for an inline route configuration", () => {
    const scope = create(ScopedRouteConfigurationSchema, { name: "s", routeConfigurationName: "r" });
    expect(plain(resourceReferences(ScopedRouteConfigurationSchema, scope))).toEqual({ [ROUTE_TYPE_URL]: ["r"] });
    const inline = create(ScopedRouteConfigurationSchema, { name: "s", routeConfiguration: { name: "inline" } });
    expect(resourceReferences(ScopedRouteConfigurationSchema, inline).size).toBe(0);
  });

  it("throws invalid-resource naming the listener when its HttpConnectionManager does not decode", () => {
    const listener = create(ListenerSchema, {
      name: "broken",
      filterChains: [
        {
          filters: [
            {
              name: "hcm",
              configType: {
                case: "typedConfig",
                value: { typeUrl: `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`, value: new Uint8Array([0xff, 0xff]) },
              },
            },
          ],
        },
      ],
    });
    let error: unknown;
    try {
      resourceReferences(ListenerSchema, listener);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe("invalid-resource");
    expect((error as CacheError).resourceName).toBe("broken");
    expect((error as CacheError).typeUrl).toBe(LISTENER_TYPE_URL);
  });

  it("uses a custom type's referencesOf", () => {
    const typeUrl = "type.googleapis.com/example.ClusterRef";
    const types = createResourceTypeRegistry([
      defineResourceType({
        typeUrl,
        schema: ScopedRouteConfigurationSchema,
        referencesOf: (s) => new Map([["type.googleapis.com/envoy.config.cluster.v3.Cluster", new Set([s.name])]]),
      }),
    ]);
    const scope = create(ScopedRouteConfigurationSchema, { name: "c1", routeConfigurationName: "r" });
    expect(plain(resourceReferences(ScopedRouteConfigurationSchema, scope, { typeUrl, types }))).toEqual({
      "type.googleapis.com/envoy.config.cluster.v3.Cluster": ["c1"],
    });
  });
});

describe("collectReferences", () => {
  it("merges the references of many resources, decoding raw ones with their registered schema", () => {
    const edsCluster = (name: string, serviceName = "") =>
      create(ClusterSchema, {
        name,
        clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
        edsClusterConfig: { serviceName },
      });
    const raw = prepareRawResource({
      typeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      name: "c3",
      bytes: marshalDeterministic(ClusterSchema, edsCluster("c3")),
    });
    const unknownRaw = prepareRawResource({ typeUrl: "type.googleapis.com/x.Y", name: "y", bytes: new Uint8Array([1, 2]) });
    const refs = collectReferences([
      prepareResource(ClusterSchema, edsCluster("c1")),
      prepareResource(ClusterSchema, edsCluster("c2", "svc2")),
      raw,
      unknownRaw,
      prepareResource(ListenerSchema, create(ListenerSchema, { name: "l", filterChains: [{ filters: [hcmFilter(rds("r"))] }] })),
    ]);
    expect(plain(refs)).toEqual({ [ENDPOINT_TYPE_URL]: ["c1", "c3", "svc2"], [ROUTE_TYPE_URL]: ["r"] });
  });

  it("throws invalid-resource naming a raw resource that does not decode", () => {
    const raw = prepareRawResource({ typeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster", name: "bad", bytes: new Uint8Array([0xff]) });
    expect(() => collectReferences([raw])).toThrowError(/"bad"/);
  });
});
