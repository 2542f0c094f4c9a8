// The Connect routes of createXdsServer mounted on your own node HTTP/2 server
// (routes(router) with connectNodeAdapter), and the service tables they come from.
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { type Cache, CLUSTER_TYPE_URL, type ConfigWatcher, LB_ENDPOINT_TYPE_URL, prepareRawResource, prepareResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequest,
  DiscoveryRequestSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { LocalityEndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/leds_pb";
import { createConnectXdsServer as createXdsServer } from "@xdskit/server/connect";
import { describe, expect, it } from "vitest";
import { ADS_METHODS, CSDS_METHODS, DELTA_METHODS, localNameOf, SOTW_METHODS, type XdsMethod } from "./xds-methods.js";
import { descriptorOf } from "./xds-services.js";

async function serveRoutes(cache: ConfigWatcher): Promise<{ baseUrl: string; close(): void }> {
  const xds = createXdsServer(cache);
  const server = http2.createServer(connectNodeAdapter({ routes: xds.routes }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      void xds.close();
      server.close();
    },
  };
}

const sotwResource = prepareResource(ClusterSchema, { name: "a" });

// Answers at once with version v1 when the client is behind, else never.
function fixedCache(): Cache & { open: number } {
  const cache = {
    open: 0,
    createWatch(request: DiscoveryRequest, _s: unknown, respond: (r: never) => void) {
      if (request.versionInfo !== "v1") {
        respond({ request, typeUrl: request.typeUrl, version: "v1", resources: [sotwResource], heartbeat: false } as never);
        return () => {};
      }
      cache.open += 1;
      return () => {
        cache.open -= 1;
      };
    },
    createDeltaWatch: () => () => {},
    fetch: async (request: DiscoveryRequest) => ({
      kind: "response" as const,
      response: { request, typeUrl: request.typeUrl, version: "v1", resources: [sotwResource], heartbeat: false },
    }),
  };
  return cache;
}

async function* sotwRequests(...items: Array<MessageInitShape<typeof DiscoveryRequestSchema>>) {
  for (const item of items) yield item;
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// The fast path routes by the names of xds-methods.ts; Connect by descriptors.
describe("method names and descriptors", () => {
  const named: XdsMethod[] = [
    ADS_METHODS.stream,
    ADS_METHODS.delta,
    CSDS_METHODS.stream,
    CSDS_METHODS.fetch,
    ...SOTW_METHODS.flatMap((s) => [s.stream, s.fetch]),
    ...DELTA_METHODS.map((s) => s.delta),
  ];

  it("names every method as its descriptor does, with its kind and local name", () => {
    for (const method of named) {
      const desc = descriptorOf(method);
      expect([desc.parent.typeName, desc.name, desc.methodKind, desc.localName]).toEqual([
        method.service,
        method.name,
        method.kind,
        localNameOf(method),
      ]);
    }
  });

  it("names every method of every xDS service it serves", () => {
    const services = new Set(named.map((m) => descriptorOf(m).parent));
    const all = [...services].flatMap((service) => service.methods.map((m) => `${service.typeName}/${m.name}`));
    expect(named.map((m) => `${m.service}/${m.name}`).sort()).toEqual(all.sort());
  });
});

describe("SotW Connect routes", () => {
  it("lists every per-type SotW service", () => {
    expect(SOTW_METHODS.map((s) => s.restName)).toEqual([
      "clusters", "endpoints", "listeners", "routes", "scoped-routes", "secrets", "runtime", "extension_configs",
    ]);
  });

  it("serves ADS, per-type streams and Fetch over a real HTTP/2 socket", async () => {
    const cache = fixedCache();
    const server = await serveRoutes(cache);
    const transport = createGrpcTransport({ baseUrl: server.baseUrl });
    try {
      const ads = createClient(AggregatedDiscoveryService, transport);
      const node = { id: "n" };
      for await (const response of ads.streamAggregatedResources(sotwRequests({ node, typeUrl: CLUSTER_TYPE_URL }))) {
        expect(response.versionInfo).toBe("v1");
        expect(response.resources[0]?.value).toEqual(sotwResource.bytes);
        break;
      }
      const cds = createClient(ClusterDiscoveryService, transport);
      for await (const response of cds.streamClusters(sotwRequests({ node }))) {
        expect(response.typeUrl).toBe(CLUSTER_TYPE_URL);
        break;
      }
      expect((await cds.fetchClusters({ node })).resources).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

const deltaResource = prepareRawResource({ typeUrl: LB_ENDPOINT_TYPE_URL, name: "xdstp://x/ep/1", bytes: new Uint8Array([8, 1]) });

const deltaCache: ConfigWatcher = {
  createWatch: () => () => {},
  createDeltaWatch(request, subscription, respond) {
    if (subscription.returnedResources().has(deltaResource.name)) return () => {};
    respond({
      request,
      typeUrl: request.typeUrl,
      systemVersion: "1",
      resources: [deltaResource],
      removed: ["gone"],
    });
    return () => {};
  },
};

async function* deltaRequests(...items: Array<MessageInitShape<typeof DeltaDiscoveryRequestSchema>>) {
  for (const item of items) yield item;
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("delta Connect routes", () => {
  it("lists every per-type delta method, VHDS and LEDS included", () => {
    expect(DELTA_METHODS).toHaveLength(10);
    expect(DELTA_METHODS.map((s) => s.delta.name)).toContain("DeltaVirtualHosts");
    expect(DELTA_METHODS.map((s) => s.delta.name)).toContain("DeltaLocalityEndpoints");
  });

  it("serves delta ADS and LEDS over a real HTTP/2 socket", async () => {
    const server = await serveRoutes(deltaCache);
    const transport = createGrpcTransport({ baseUrl: server.baseUrl });
    try {
      const node = { id: "n" };
      const ads = createClient(AggregatedDiscoveryService, transport);
      for await (const response of ads.deltaAggregatedResources(deltaRequests({ node, typeUrl: LB_ENDPOINT_TYPE_URL }))) {
        expect(response.resources.map((r) => [r.name, r.version])).toEqual([[deltaResource.name, deltaResource.hash]]);
        expect(response.removedResources).toEqual(["gone"]);
        expect(response.nonce).not.toBe("");
        break;
      }
      const leds = createClient(LocalityEndpointDiscoveryService, transport);
      for await (const response of leds.deltaLocalityEndpoints(deltaRequests({ node, resourceNamesSubscribe: [deltaResource.name] }))) {
        expect(response.typeUrl).toBe(LB_ENDPOINT_TYPE_URL);
        expect(response.resources[0]?.resource?.value).toEqual(deltaResource.bytes);
        break;
      }
    } finally {
      server.close();
    }
  });
});
