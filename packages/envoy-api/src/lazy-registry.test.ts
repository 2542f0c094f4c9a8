import { spawnSync } from "node:child_process";
import { create, fromJson, toJsonString } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { lazyEnvoyRegistry } from "@xdskit/envoy-api/lazy-registry";
import { describe, expect, it } from "vitest";

// A listener whose filter is an Any of a type named only by its URL: the registry must find its package.
function listenerWith(typeUrl: string) {
  return create(ListenerSchema, {
    name: "l",
    filterChains: [{ filters: [{ name: "f", configType: { case: "typedConfig", value: { $typeName: "google.protobuf.Any", typeUrl, value: new Uint8Array() } } }] }],
  });
}

const tcpProxy = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

describe("lazyEnvoyRegistry", () => {
  it("loads the packages of the Any types a conversion meets, nested ones included, and only those", () => {
    const registry = lazyEnvoyRegistry();
    const outer = anyPack(ListenerSchema, listenerWith(tcpProxy));
    const listener = create(ListenerSchema, { name: "outer", listenerFilters: [{ name: "x", configType: { case: "typedConfig", value: outer } }] });
    const json = toJsonString(ListenerSchema, listener, { registry });
    expect(json).toContain('"@type":"type.googleapis.com/envoy.config.listener.v3.Listener"');
    expect(json).toContain(`"@type":"${tcpProxy}"`);
    const loaded = new Set([...registry].map((type) => type.typeName));
    expect(loaded).toContain("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");
    expect(loaded).not.toContain("envoy.config.bootstrap.v3.Bootstrap");
    expect(loaded).not.toContain("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
    // And back: the JSON reads with the same registry.
    expect(toJsonString(ListenerSchema, fromJson(ListenerSchema, JSON.parse(json), { registry }), { registry })).toBe(json);
  });

  it("gives the descriptors `import` gives: one descriptor per type", () => {
    // In plain Node (vitest loads the package's modules through its own module graph).
    const probe = `
      import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
      import { lazyEnvoyRegistry } from "@xdskit/envoy-api/lazy-registry";
      process.stdout.write(String(lazyEnvoyRegistry().getMessage("envoy.config.listener.v3.Listener") === ListenerSchema));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("true");
  });

  it("finds nested types and enums by their full names", () => {
    const registry = lazyEnvoyRegistry();
    expect(registry.getMessage("envoy.config.cluster.v3.Cluster.CommonLbConfig")?.typeName).toBe("envoy.config.cluster.v3.Cluster.CommonLbConfig");
    expect(registry.getEnum("envoy.config.cluster.v3.Cluster.LbPolicy")?.values.length).toBeGreaterThan(3);
  });

  it("fails a conversion naming the type when no package of the API has it", () => {
    const registry = lazyEnvoyRegistry();
    expect(registry.getMessage("acme.filters.v1.Nothing")).toBeUndefined();
    expect(registry.getMessage("../../etc.passwd")).toBeUndefined();
    expect(() => toJsonString(ListenerSchema, listenerWith("type.googleapis.com/acme.filters.v1.Nothing"), { registry })).toThrow(/acme\.filters\.v1\.Nothing/);
  });
});
