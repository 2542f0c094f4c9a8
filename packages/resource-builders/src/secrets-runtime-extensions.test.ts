import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { BuilderError, extensionConfig, runtime, tlsCertificateSecret, validationContextSecret } from "@xdskit/resource-builders";
import { BufferSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import { describe, expect, it } from "vitest";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";

describe("secrets", () => {
  it("carry inline PEM", () => {
    const cert = tlsCertificateSecret({ name: "server", certificateChain: CERT, privateKey: KEY });
    expect(cert.name).toBe("server");
    expect(cert.type).toMatchObject({
      case: "tlsCertificate",
      value: { certificateChain: { specifier: { case: "inlineString", value: CERT } }, privateKey: { specifier: { case: "inlineString", value: KEY } } },
    });
    const ca = validationContextSecret({ name: "ca", trustedCa: CERT });
    expect(ca.type).toMatchObject({ case: "validationContext", value: { trustedCa: { specifier: { case: "inlineString", value: CERT } } } });
  });

  it("reject text that is not the right PEM", () => {
    expect(() => tlsCertificateSecret({ name: "s", certificateChain: "/etc/cert.pem", privateKey: KEY })).toThrow(
      expect.objectContaining({ code: "invalid-value", resourceType: "Secret", resourceName: "s", field: "certificateChain" }),
    );
    expect(() => tlsCertificateSecret({ name: "s", certificateChain: CERT, privateKey: CERT })).toThrow(/Secret "s" privateKey: has an unexpected PEM block "CERTIFICATE"/);
    expect(() => validationContextSecret({ name: "", trustedCa: CERT })).toThrow(expect.objectContaining({ code: "invalid-name" }));
  });
});

describe("runtime", () => {
  it("builds a layer from JSON, nested objects included", () => {
    const r = runtime({ name: "layer", layer: { "a.b": 1, feature: { on: true, list: ["x", null] }, s: "v" } });
    expect(r.name).toBe("layer");
    expect(r.layer).toEqual({ "a.b": 1, feature: { on: true, list: ["x", null] }, s: "v" });
  });

  it("rejects values that are not JSON, naming the key", () => {
    expect(() => runtime({ name: "l", layer: { a: { b: Number.NaN } } })).toThrow(expect.objectContaining({ code: "invalid-value", field: "layer.a.b" }));
    expect(() => runtime({ name: "l", layer: { f: (() => 1) as never } })).toThrow(/must be a JSON value, got function/);
    expect(() => runtime({ name: "l", layer: [] as never })).toThrow(expect.objectContaining({ field: "layer" }));
    expect(() => runtime({ name: "l", layer: { "": 1 } })).toThrow(BuilderError);
  });
});

describe("extensionConfig", () => {
  it("names a typed config", () => {
    const typedConfig = anyPack(BufferSchema, create(BufferSchema, { maxRequestBytes: 5 }));
    const e = extensionConfig({ name: "buffer", typedConfig });
    expect(e.name).toBe("buffer");
    expect(e.typedConfig?.typeUrl).toBe(`type.googleapis.com/${BufferSchema.typeName}`);
    expect(() => extensionConfig({ name: "buffer", typedConfig: { ...typedConfig, typeUrl: "" } })).toThrow(expect.objectContaining({ code: "missing-field" }));
    expect(() => extensionConfig({ name: " ", typedConfig })).toThrow(expect.objectContaining({ code: "invalid-name", resourceType: "TypedExtensionConfig" }));
  });
});
