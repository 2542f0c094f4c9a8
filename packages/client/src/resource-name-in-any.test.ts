import { create, type DescMessage } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { resourceNameInAny } from "@xdskit/client";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { TypedExtensionConfigSchema } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { ResourceSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { describe, expect, it } from "vitest";

const named: [DescMessage, string][] = [
  [ClusterSchema, "name"],
  [ClusterLoadAssignmentSchema, "cluster_name"],
  [ListenerSchema, "name"],
  [RouteConfigurationSchema, "name"],
  [ScopedRouteConfigurationSchema, "name"],
  [VirtualHostSchema, "name"],
  [SecretSchema, "name"],
  [RuntimeSchema, "name"],
  [TypedExtensionConfigSchema, "name"],
];

describe("resourceNameInAny", () => {
  it.each(named.map(([s, f]) => [s.typeName, s, f] as const))("relies on %s keeping its name in field 1", (_name, schema, field) => {
    expect(schema.fields.find((f) => f.name === field)?.number).toBe(1);
  });

  it("reads the name of each built-in type, after other fields", () => {
    const cla = create(ClusterLoadAssignmentSchema, { clusterName: "backend", endpoints: [{ loadBalancingWeight: 2 }] });
    expect(resourceNameInAny(anyPack(ClusterLoadAssignmentSchema, cla))).toBe("backend");
    const scoped = create(ScopedRouteConfigurationSchema, { onDemand: true, routeConfigurationName: "r", name: "scope-a" });
    expect(resourceNameInAny(anyPack(ScopedRouteConfigurationSchema, scoped))).toBe("scope-a");
  });

  it("reads the Resource wrapper's own name field", () => {
    const inner = anyPack(ClusterSchema, create(ClusterSchema, { name: "inner" }));
    const wrapped = anyPack(ResourceSchema, create(ResourceSchema, { version: "v1", name: "outer", resource: inner }));
    expect(resourceNameInAny(wrapped)).toBe("outer");
  });

  it("answers empty for garbage instead of throwing", () => {
    expect(resourceNameInAny({ $typeName: "google.protobuf.Any", typeUrl: "x", value: new Uint8Array([0x0a, 0xff]) })).toBe("");
  });
});
