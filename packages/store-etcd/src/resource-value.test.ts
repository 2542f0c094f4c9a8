import { create, toBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, LB_ENDPOINT_TYPE_URL, prepareRawResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { describe, expect, it } from "vitest";
import { cluster } from "./fixtures.test-helper.js";
import { createValidator } from "@xdskit/validate";
import { decodeResourceValue, EtcdStoreError } from "./index.js";
import { encodeResource } from "./resource-value.js";

const key = { group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "web" };
const failure = (fn: () => unknown): EtcdStoreError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof EtcdStoreError) return error;
    throw error;
  }
  throw new Error("expected an EtcdStoreError");
};

describe("decodeResourceValue", () => {
  it("decodes a value into a prepared resource named by its key", () => {
    const resource = decodeResourceValue(key, toBinary(ClusterSchema, cluster("web")));
    expect(resource.name).toBe("web");
    expect(resource.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(resource.message).toMatchObject({ name: "web" });
  });

  it("names the resource and the reason for bytes that do not decode", () => {
    const e = failure(() => decodeResourceValue(key, Buffer.from("not a protobuf")));
    expect(e.code).toBe("invalid-resource");
    expect(e.message).toMatch(/^Cluster "web" of group "edge": the value \(14 bytes\) does not decode as envoy\.config\.cluster\.v3\.Cluster/);
    expect(e).toMatchObject({ group: "edge", typeUrl: CLUSTER_TYPE_URL, resourceName: "web" });
  });

  it("refuses unknown fields, a name that differs from the key, an empty name and unregistered types", () => {
    const withUnknown = Buffer.concat([toBinary(ClusterSchema, cluster("web")), Buffer.from([0xf8, 0xff, 0x3f, 0x01])]); // field 131071, varint 1
    expect(failure(() => decodeResourceValue(key, withUnknown)).message).toMatch(/does not define \(numbers 131071\)/);
    expect(failure(() => decodeResourceValue(key, toBinary(ClusterSchema, cluster("api")))).message).toMatch(/it names itself "api"/);
    expect(failure(() => decodeResourceValue(key, toBinary(ClusterSchema, cluster("")))).message).toMatch(/its name field is empty/);
    expect(failure(() => decodeResourceValue({ ...key, typeUrl: "type.googleapis.com/acme.Thing" }, new Uint8Array())).message).toMatch(
      /type "type.googleapis.com\/acme.Thing" is not registered/,
    );
  });

  it("takes the key's name for types without a name field", () => {
    const lbKey = { group: "g", typeUrl: LB_ENDPOINT_TYPE_URL, name: "ep-1" };
    expect(decodeResourceValue(lbKey, toBinary(LbEndpointSchema, create(LbEndpointSchema))).name).toBe("ep-1");
  });

  it("runs the validator and lists its violations with their fields and rules", () => {
    const validate = createValidator();
    expect(decodeResourceValue(key, toBinary(ClusterSchema, cluster("web")), { validate }).name).toBe("web");
    const e = failure(() => decodeResourceValue(key, toBinary(ClusterSchema, cluster("web", 0)), { validate }));
    expect(e.message).toBe('Cluster "web" of group "edge": connect_timeout: must be greater than 0s (duration.gt)');
  });
});

describe("encodeResource", () => {
  it("prepares messages and checks raw resources the way mirrors will read them", () => {
    expect(encodeResource("g", cluster("web")).name).toBe("web");
    const raw = prepareRawResource({ typeUrl: CLUSTER_TYPE_URL, name: "web", bytes: Buffer.from("garbage") });
    expect(failure(() => encodeResource("g", raw)).message).toMatch(/Cluster "web" of group "g": the value .* does not decode/);
    const acme = { $typeName: "acme.Thing" } as never;
    expect(failure(() => encodeResource("g", acme)).message).toMatch(/cannot write a acme.Thing to group "g": type .* is not registered/);
  });
});
