import { describe, expect, it } from "vitest";
import {
  ADS_RESPONSE_ORDER,
  CLUSTER_TYPE_URL,
  compareTypeUrls,
  defaultResourceTypes,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  RESOURCE_WRAPPER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
  typeNameOfUrl,
  typeUrlOf,
  VIRTUAL_HOST_TYPE_URL,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { TypedExtensionConfigSchema } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { ResourceSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";

describe("type URLs", () => {
  it("are type.googleapis.com/ plus the generated message's full name", () => {
    const pairs = [
      [CLUSTER_TYPE_URL, ClusterSchema],
      [ENDPOINT_TYPE_URL, ClusterLoadAssignmentSchema],
      [LB_ENDPOINT_TYPE_URL, LbEndpointSchema],
      [LISTENER_TYPE_URL, ListenerSchema],
      [ROUTE_TYPE_URL, RouteConfigurationSchema],
      [SCOPED_ROUTE_TYPE_URL, ScopedRouteConfigurationSchema],
      [VIRTUAL_HOST_TYPE_URL, VirtualHostSchema],
      [SECRET_TYPE_URL, SecretSchema],
      [RUNTIME_TYPE_URL, RuntimeSchema],
      [EXTENSION_CONFIG_TYPE_URL, TypedExtensionConfigSchema],
      [RESOURCE_WRAPPER_TYPE_URL, ResourceSchema],
    ] as const;
    for (const [url, schema] of pairs) {
      expect(url).toBe(`type.googleapis.com/${schema.typeName}`);
      expect(typeUrlOf(schema)).toBe(url);
      expect(typeNameOfUrl(url)).toBe(schema.typeName);
    }
    expect(typeNameOfUrl("example.com/a/b/pkg.Msg")).toBe("pkg.Msg");
  });

  it("orders ADS responses clusters → endpoints → listeners → routes → scoped routes → virtual hosts → secrets → runtime → extension configs", () => {
    expect(ADS_RESPONSE_ORDER).toEqual([
      CLUSTER_TYPE_URL,
      ENDPOINT_TYPE_URL,
      LB_ENDPOINT_TYPE_URL,
      LISTENER_TYPE_URL,
      ROUTE_TYPE_URL,
      SCOPED_ROUTE_TYPE_URL,
      VIRTUAL_HOST_TYPE_URL,
      SECRET_TYPE_URL,
      RUNTIME_TYPE_URL,
      EXTENSION_CONFIG_TYPE_URL,
    ]);
    expect(Object.isFrozen(ADS_RESPONSE_ORDER)).toBe(true);
  });

  it("compareTypeUrls sorts into ADS order with custom types last, by URL", () => {
    const [z, a] = ["type.googleapis.com/z.Custom", "type.googleapis.com/a.Custom"] as const;
    const shuffled = [RUNTIME_TYPE_URL, z, ROUTE_TYPE_URL, CLUSTER_TYPE_URL, a, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL];
    expect(shuffled.sort(compareTypeUrls)).toEqual([
      CLUSTER_TYPE_URL,
      ENDPOINT_TYPE_URL,
      LISTENER_TYPE_URL,
      ROUTE_TYPE_URL,
      RUNTIME_TYPE_URL,
      "type.googleapis.com/a.Custom",
      "type.googleapis.com/z.Custom",
    ]);
  });

  it("the default registry knows every built-in type, in ADS order", () => {
    expect(defaultResourceTypes.typeUrls()).toEqual(ADS_RESPONSE_ORDER);
  });
});
