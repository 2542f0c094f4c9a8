import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DescMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { envoyFiles, envoyRegistry } from "@xdskit/envoy-api";

const require = createRequire(import.meta.url);
const upstream = JSON.parse(readFileSync(require.resolve("@xdskit/envoy-api/package.json").replace(/package\.json$/, "UPSTREAM"), "utf8")) as {
  protos: Record<string, string>;
};

const resourceTypes = [
  "envoy.config.listener.v3.Listener",
  "envoy.config.route.v3.RouteConfiguration",
  "envoy.config.route.v3.ScopedRouteConfiguration",
  "envoy.config.route.v3.VirtualHost",
  "envoy.config.cluster.v3.Cluster",
  "envoy.config.endpoint.v3.ClusterLoadAssignment",
  "envoy.config.endpoint.v3.LbEndpoint",
  "envoy.extensions.transport_sockets.tls.v3.Secret",
  "envoy.service.runtime.v3.Runtime",
  "envoy.config.core.v3.TypedExtensionConfig",
  "envoy.config.ratelimit.v3.RateLimitServiceConfig",
  "envoy.service.discovery.v3.DiscoveryRequest",
  "envoy.service.discovery.v3.DiscoveryResponse",
  "envoy.service.discovery.v3.DeltaDiscoveryRequest",
  "envoy.service.discovery.v3.DeltaDiscoveryResponse",
  "envoy.service.discovery.v3.Resource",
  "xds.core.v3.ResourceLocator",
  "udpa.type.v1.TypedStruct",
  "xds.type.v3.TypedStruct",
  "google.protobuf.Struct",
];

const services = [
  "envoy.service.discovery.v3.AggregatedDiscoveryService",
  "envoy.service.cluster.v3.ClusterDiscoveryService",
  "envoy.service.endpoint.v3.EndpointDiscoveryService",
  "envoy.service.endpoint.v3.LocalityEndpointDiscoveryService",
  "envoy.service.listener.v3.ListenerDiscoveryService",
  "envoy.service.route.v3.RouteDiscoveryService",
  "envoy.service.route.v3.ScopedRoutesDiscoveryService",
  "envoy.service.route.v3.VirtualHostDiscoveryService",
  "envoy.service.secret.v3.SecretDiscoveryService",
  "envoy.service.runtime.v3.RuntimeDiscoveryService",
  "envoy.service.extension.v3.ExtensionConfigDiscoveryService",
];

describe("registry", () => {
  it.each(resourceTypes)("resolves %s, also by type URL", (name) => {
    const desc = envoyRegistry.getMessage(name);
    expect(desc?.typeName).toBe(name);
    expect(envoyRegistry.getMessage(`type.googleapis.com/${name}`.slice("type.googleapis.com/".length))).toBe(desc);
  });

  it.each(services)("resolves service %s with its streaming methods", (name) => {
    const svc = envoyRegistry.getService(name);
    expect(svc?.typeName).toBe(name);
    expect(svc?.methods.some((m) => m.methodKind === "bidi_streaming")).toBe(true);
  });

  it("holds every file of the upstream image, including every envoy v3 file", () => {
    const names = new Set(envoyFiles.map((f) => f.proto.name));
    const expected = Object.keys(upstream.protos);
    expect(expected.filter((p) => !names.has(p))).toEqual([]);
    const v3 = expected.filter((p) => /^envoy\/.*\/v3[^/]*\//.test(p));
    expect(v3.length).toBeGreaterThanOrEqual(480);
  });

  it("knows every message of every file", () => {
    let count = 0;
    const visit = (msg: DescMessage): void => {
      expect(envoyRegistry.getMessage(msg.typeName)).toBe(msg);
      count++;
      msg.nestedMessages.forEach(visit);
    };
    for (const file of envoyFiles) file.messages.forEach(visit);
    expect(count).toBeGreaterThan(2000);
  });
});
