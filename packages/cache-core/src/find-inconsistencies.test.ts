import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  createResourceTypeRegistry,
  defineResourceType,
  ENDPOINT_TYPE_URL,
  findInconsistencies,
  LISTENER_TYPE_URL,
  prepareRawResource,
  prepareResource,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
} from "@xdskit/cache-core";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";

const edsCluster = (name: string) =>
  prepareResource(ClusterSchema, { name, clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS }, edsClusterConfig: {} });
const dnsCluster = (name: string) =>
  prepareResource(ClusterSchema, { name, clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STRICT_DNS } });
const assignment = (clusterName: string) => prepareResource(ClusterLoadAssignmentSchema, { clusterName });
const routes = (name: string) => prepareResource(RouteConfigurationSchema, { name });
const hcmListener = (name: string, routeSpecifier: NonNullable<MessageInitShape<typeof HttpConnectionManagerSchema>["routeSpecifier"]>) =>
  prepareResource(ListenerSchema, {
    name,
    filterChains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, create(HttpConnectionManagerSchema, { routeSpecifier })) },
          },
        ],
      },
    ],
  });
const rdsListener = (name: string, routeConfigName: string) => hcmListener(name, { case: "rds", value: { routeConfigName } });

describe("findInconsistencies", () => {
  it("is empty when every reference resolves and nothing is left over", () => {
    expect(
      findInconsistencies([edsCluster("a"), dnsCluster("dns"), assignment("a"), rdsListener("l", "r"), routes("r")]),
    ).toEqual([]);
  });

  it("names every missing and every extra resource of every type, sorted, in ADS order", () => {
    const found = findInconsistencies([
      rdsListener("l1", "r1"),
      rdsListener("l2", "r2"),
      routes("r1"),
      routes("stale"),
      edsCluster("c"),
      edsCluster("b"),
      edsCluster("a"),
      assignment("a"),
      assignment("y"),
      assignment("x"),
    ]);
    expect(found).toEqual([
      { typeUrl: ENDPOINT_TYPE_URL, missing: ["b", "c"], extra: ["x", "y"] },
      { typeUrl: ROUTE_TYPE_URL, missing: ["r2"], extra: ["stale"] },
    ]);
  });

  it("endpoint assignments and route configurations nothing references are extra, even with no references at all", () => {
    expect(findInconsistencies([assignment("orphan"), routes("lonely")])).toEqual([
      { typeUrl: ENDPOINT_TYPE_URL, missing: [], extra: ["orphan"] },
      { typeUrl: ROUTE_TYPE_URL, missing: [], extra: ["lonely"] },
    ]);
  });

  it("skips types another cache serves: their references are not missing, their resources not extra", () => {
    const clusters = [edsCluster("a"), edsCluster("b")];
    expect(findInconsistencies(clusters)).toEqual([{ typeUrl: ENDPOINT_TYPE_URL, missing: ["a", "b"], extra: [] }]);
    expect(findInconsistencies(clusters, { externalTypes: [ENDPOINT_TYPE_URL] })).toEqual([]);
    expect(findInconsistencies([...clusters, assignment("other")], { externalTypes: new Set([ENDPOINT_TYPE_URL]) })).toEqual([]);
    // Only the types named are skipped.
    expect(findInconsistencies([...clusters, rdsListener("l", "r")], { externalTypes: [ENDPOINT_TYPE_URL] })).toEqual([
      { typeUrl: ROUTE_TYPE_URL, missing: ["r"], extra: [] },
    ]);
  });

  it("checks extra references the caller gives, and ignores a wildcard reference", () => {
    const found = findInconsistencies([dnsCluster("web")], {
      references: new Map([[CLUSTER_TYPE_URL, new Set(["web", "api", "*"])]]),
    });
    expect(found).toEqual([{ typeUrl: CLUSTER_TYPE_URL, missing: ["api"], extra: [] }]);
  });

  it("does not check SRDS references from listeners: they are a wildcard or a locator", () => {
    const scopedRds = hcmListener("l", { case: "scopedRoutes", value: { name: "s", configSpecifier: { case: "scopedRds", value: {} } } });
    expect(findInconsistencies([scopedRds])).toEqual([]);
    const scope = prepareResource(ScopedRouteConfigurationSchema, { name: "s", routeConfigurationName: "r" });
    expect(findInconsistencies([scopedRds, scope])).toEqual([{ typeUrl: ROUTE_TYPE_URL, missing: ["r"], extra: [] }]);
    expect(findInconsistencies([scope], { externalTypes: [ROUTE_TYPE_URL] })).toEqual([]);
    expect(findInconsistencies([scope]).some((i) => i.typeUrl === SCOPED_ROUTE_TYPE_URL)).toBe(false);
  });

  it("checks custom types' references with their registry", () => {
    const typeUrl = "type.googleapis.com/example.Scope";
    const types = createResourceTypeRegistry([
      defineResourceType({
        typeUrl,
        schema: ScopedRouteConfigurationSchema,
        referencesOf: (s) => new Map([[LISTENER_TYPE_URL, new Set([s.routeConfigurationName])]]),
      }),
    ]);
    const custom = prepareResource(ScopedRouteConfigurationSchema, { name: "c", routeConfigurationName: "edge" }, { typeUrl, types });
    expect(findInconsistencies([custom], { types })).toEqual([{ typeUrl: LISTENER_TYPE_URL, missing: ["edge"], extra: [] }]);
    expect(findInconsistencies([custom, rdsListener("edge", "r"), routes("r")], { types })).toEqual([]);
  });

  it("throws invalid-resource naming a raw resource that does not decode", () => {
    const raw = prepareRawResource({ typeUrl: CLUSTER_TYPE_URL, name: "bad", bytes: new Uint8Array([0xff]) });
    expect(() => findInconsistencies([raw])).toThrowError(CacheError);
    expect(() => findInconsistencies([raw])).toThrowError(/"bad"/);
  });
});
