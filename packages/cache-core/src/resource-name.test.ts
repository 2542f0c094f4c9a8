import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  createResourceTypeRegistry,
  defineResourceType,
  ENDPOINT_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  resourceName,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { TypedExtensionConfigSchema } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { FilterSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_components_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { RateLimitDescriptorSchema } from "@xdskit/envoy-api/envoy/extensions/common/ratelimit/v3/ratelimit_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";

function thrown(fn: () => unknown): CacheError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CacheError);
    return e as CacheError;
  }
  throw new Error("expected a CacheError");
}

describe("resourceName", () => {
  it("uses the name field of the built-in types", () => {
    expect(resourceName(ClusterSchema, create(ClusterSchema, { name: "c" }))).toBe("c");
    expect(resourceName(ListenerSchema, create(ListenerSchema, { name: "l" }))).toBe("l");
    expect(resourceName(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: "r" }))).toBe("r");
    expect(resourceName(ScopedRouteConfigurationSchema, create(ScopedRouteConfigurationSchema, { name: "s" }))).toBe("s");
    expect(resourceName(VirtualHostSchema, create(VirtualHostSchema, { name: "v" }))).toBe("v");
    expect(resourceName(SecretSchema, create(SecretSchema, { name: "sec" }))).toBe("sec");
    expect(resourceName(RuntimeSchema, create(RuntimeSchema, { name: "rt" }))).toBe("rt");
    expect(resourceName(TypedExtensionConfigSchema, create(TypedExtensionConfigSchema, { name: "ext" }))).toBe("ext");
  });

  it("uses cluster_name for a ClusterLoadAssignment", () => {
    const cla = create(ClusterLoadAssignmentSchema, { clusterName: "backend" });
    expect(resourceName(ClusterLoadAssignmentSchema, cla)).toBe("backend");
  });

  it("throws resource-name naming the type when a name cannot be derived", () => {
    const error = thrown(() => resourceName(LbEndpointSchema, create(LbEndpointSchema)));
    expect(error.code).toBe("resource-name");
    expect(error.typeUrl).toBe(LB_ENDPOINT_TYPE_URL);
    expect(error.message).toContain(LB_ENDPOINT_TYPE_URL);
  });

  it("throws resource-name naming the type for an empty name", () => {
    const error = thrown(() => resourceName(ClusterLoadAssignmentSchema, create(ClusterLoadAssignmentSchema)));
    expect(error.code).toBe("resource-name");
    expect(error.message).toContain(ENDPOINT_TYPE_URL);
    expect(error.message).toContain("empty");
  });

  it("throws type-mismatch when the message is not of the schema or the registered type", () => {
    const cluster = create(ClusterSchema, { name: "c" });
    const wrongSchema = thrown(() => resourceName(ListenerSchema, cluster as never));
    expect(wrongSchema.code).toBe("type-mismatch");
    expect(wrongSchema.message).toContain("envoy.config.cluster.v3.Cluster");
    const wrongUrl = thrown(() => resourceName(ClusterSchema, cluster, { typeUrl: ENDPOINT_TYPE_URL }));
    expect(wrongUrl.code).toBe("type-mismatch");
    expect(wrongUrl.typeUrl).toBe(ENDPOINT_TYPE_URL);
  });

  it("names unregistered custom types by their name field, or explains it cannot", () => {
    const typeUrl = "type.googleapis.com/example.Filter";
    expect(resourceName(FilterSchema, create(FilterSchema, { name: "f" }), { typeUrl })).toBe("f");
    const error = thrown(() => resourceName(RateLimitDescriptorSchema, create(RateLimitDescriptorSchema)));
    expect(error.code).toBe("resource-name");
    expect(error.message).toContain("type.googleapis.com/envoy.extensions.common.ratelimit.v3.RateLimitDescriptor");
  });

  it("uses a registered custom type's nameOf", () => {
    const typeUrl = "type.googleapis.com/ratelimit.config.ratelimit.v3.RateLimitConfig";
    const types = createResourceTypeRegistry([
      defineResourceType({
        typeUrl,
        schema: RateLimitDescriptorSchema,
        nameOf: (d) => d.entries.map((e) => `${e.key}=${e.value}`).join(","),
      }),
    ]);
    const descriptor = create(RateLimitDescriptorSchema, { entries: [{ key: "domain", value: "edge" }] });
    expect(resourceName(RateLimitDescriptorSchema, descriptor, { typeUrl, types })).toBe("domain=edge");
    // Without the registry the type is unknown, and has no name field.
    expect(thrown(() => resourceName(RateLimitDescriptorSchema, descriptor, { typeUrl })).code).toBe("resource-name");
  });

  it("lets a custom type replace a built-in one", () => {
    const types = createResourceTypeRegistry([
      defineResourceType({ typeUrl: ENDPOINT_TYPE_URL, schema: ClusterLoadAssignmentSchema, nameOf: (cla) => `eds/${cla.clusterName}` }),
    ]);
    const cla = create(ClusterLoadAssignmentSchema, { clusterName: "b" });
    expect(resourceName(ClusterLoadAssignmentSchema, cla, { types })).toBe("eds/b");
  });
});

describe("ResourceTypeRegistry", () => {
  it("require throws unknown-type naming the type URL", () => {
    const types = createResourceTypeRegistry();
    expect(types.require(ENDPOINT_TYPE_URL).schema).toBe(ClusterLoadAssignmentSchema);
    const error = thrown(() => types.require("type.googleapis.com/nope.Thing"));
    expect(error.code).toBe("unknown-type");
    expect(error.typeUrl).toBe("type.googleapis.com/nope.Thing");
    expect(error.message).toContain("type.googleapis.com/nope.Thing");
    expect(types.get("type.googleapis.com/nope.Thing")).toBeUndefined();
  });

  it("lists custom types after the built-ins", () => {
    const typeUrl = "type.googleapis.com/example.Filter";
    const types = createResourceTypeRegistry([defineResourceType({ typeUrl, schema: FilterSchema })]);
    expect(types.typeUrls().at(-1)).toBe(typeUrl);
    expect(types.typeUrls()).toHaveLength(11);
  });
});
