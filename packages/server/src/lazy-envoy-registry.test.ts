import { create, toJsonString } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { describe, expect, it } from "vitest";
import { createLazyEnvoyRegistry } from "./lazy-envoy-registry.js";

// A listener whose filter is an Any of a type named only by its URL: the registry must find its package.
function listenerWith(typeUrl: string) {
  return create(ListenerSchema, {
    name: "l",
    filterChains: [{ filters: [{ name: "f", configType: { case: "typedConfig", value: { $typeName: "google.protobuf.Any", typeUrl, value: new Uint8Array() } } }] }],
  });
}

describe("createLazyEnvoyRegistry", () => {
  it("loads the packages of the Any types a conversion asks for, nested ones included, and converts", async () => {
    const registry = createLazyEnvoyRegistry();
    const outer = anyPack(ListenerSchema, listenerWith("type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"));
    const json = await registry.convert((r) => toJsonString(ListenerSchema, create(ListenerSchema, { name: "outer", listenerFilters: [{ name: "x", configType: { case: "typedConfig", value: outer } }] }), { registry: r }));
    expect(json).toContain('"@type":"type.googleapis.com/envoy.config.listener.v3.Listener"');
    expect(json).toContain('"@type":"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"');
    // Loaded once: the next conversion finds it at once.
    let rounds = 0;
    await registry.convert((r) => {
      rounds++;
      return toJsonString(ListenerSchema, listenerWith("type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"), { registry: r });
    });
    expect(rounds).toBe(1);
  });

  it("rejects with the conversion's error, naming the type, when no package of the API has it", async () => {
    const registry = createLazyEnvoyRegistry();
    await expect(registry.convert((r) => toJsonString(ListenerSchema, listenerWith("type.googleapis.com/acme.filters.v1.Nothing"), { registry: r }))).rejects.toThrow(
      /acme\.filters\.v1\.Nothing/,
    );
  });
});
