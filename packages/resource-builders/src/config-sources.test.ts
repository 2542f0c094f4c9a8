import { equals, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { BuilderError, configSource } from "@xdskit/resource-builders";
import { ApiConfigSource_ApiType, ApiVersion, ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { configSource as harnessConfigSource } from "@xdskit/envoy-tool";
import { modulesLoadedBy } from "@xdskit/test-support";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("configSource", () => {
  it("ads and delta-ads use the bootstrap's ADS stream", () => {
    for (const mode of ["ads", "delta-ads"] as const) {
      const cs = configSource(mode);
      expect(cs.configSourceSpecifier.case).toBe("ads");
      expect(cs.resourceApiVersion).toBe(ApiVersion.V3);
    }
  });

  it("xds and delta open their own gRPC streams to the control-plane cluster", () => {
    const xds = configSource("xds");
    if (xds.configSourceSpecifier.case !== "apiConfigSource") throw new Error("expected an api config source");
    const api = xds.configSourceSpecifier.value;
    expect(api.apiType).toBe(ApiConfigSource_ApiType.GRPC);
    expect(api.transportApiVersion).toBe(ApiVersion.V3);
    expect(api.setNodeOnFirstMessageOnly).toBe(true);
    expect(api.grpcServices[0]?.targetSpecifier).toEqual({ case: "envoyGrpc", value: expect.objectContaining({ clusterName: "xds_cluster" }) });

    const delta = configSource("delta", { clusterName: "cp", setNodeOnFirstMessageOnly: false });
    if (delta.configSourceSpecifier.case !== "apiConfigSource") throw new Error("expected an api config source");
    expect(delta.configSourceSpecifier.value.apiType).toBe(ApiConfigSource_ApiType.DELTA_GRPC);
    expect(delta.configSourceSpecifier.value.setNodeOnFirstMessageOnly).toBe(false);
    expect(delta.configSourceSpecifier.value.grpcServices[0]?.targetSpecifier).toEqual({ case: "envoyGrpc", value: expect.objectContaining({ clusterName: "cp" }) });
  });

  it("rest polls the cluster with a refresh delay", () => {
    const rest = configSource("rest", { refreshDelayMs: 2500, initialFetchTimeoutMs: 0 });
    if (rest.configSourceSpecifier.case !== "apiConfigSource") throw new Error("expected an api config source");
    expect(rest.configSourceSpecifier.value.apiType).toBe(ApiConfigSource_ApiType.REST);
    expect(rest.configSourceSpecifier.value.clusterNames).toEqual(["xds_cluster"]);
    expect(rest.configSourceSpecifier.value.refreshDelay).toMatchObject({ seconds: 2n, nanos: 500_000_000 });
    expect(rest.initialFetchTimeout).toMatchObject({ seconds: 0n, nanos: 0 });
  });

  it("matches what the Envoy test harness writes for every mode", () => {
    for (const mode of ["ads", "delta-ads", "xds", "delta", "rest"] as const) {
      const harness = fromJson(ConfigSourceSchema, harnessConfigSource(mode) as JsonValue);
      expect(equals(ConfigSourceSchema, configSource(mode), harness), mode).toBe(true);
    }
  });

  it("rejects unknown modes and bad options", () => {
    expect(() => configSource("grpc" as "xds")).toThrow(expect.objectContaining({ code: "invalid-value", field: "mode" }));
    expect(() => configSource("xds", { clusterName: "" })).toThrow(expect.objectContaining({ code: "invalid-name", field: "clusterName" }));
    expect(() => configSource("rest", { refreshDelayMs: 0 })).toThrow(BuilderError);
    expect(() => configSource("ads", { initialFetchTimeoutMs: -1 })).toThrow(/ConfigSource "ads" initialFetchTimeoutMs: must be an integer/);
  });
});

describe("@xdskit/resource-builders/config-source", () => {
  it("is the root's configSource, and loads a fraction of what the root does", async () => {
    const sub = await import("@xdskit/resource-builders/config-source");
    expect(sub.configSource).toBe(configSource);
    // Modules of this package and generated Envoy files one import loads, in a fresh process.
    const loads = async (specifier: string): Promise<{ own: number; generated: number }> => {
      const loaded = await modulesLoadedBy(`await import(${JSON.stringify(specifier)});`, { cwd: fileURLToPath(new URL("..", import.meta.url)) });
      return { own: loaded.filter((u) => u.includes("/resource-builders/dist/")).length, generated: loaded.filter((u) => u.includes("/envoy-api/dist/gen/")).length };
    };
    const [light, root] = await Promise.all([loads("@xdskit/resource-builders/config-source"), loads("@xdskit/resource-builders")]);
    expect(light.own).toBeLessThanOrEqual(3);
    expect(root.own).toBeGreaterThan(20);
    expect(light.generated).toBeLessThan(root.generated / 2);
  }, 60_000);
});
