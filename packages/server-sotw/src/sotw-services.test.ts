import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { type Cache, CLUSTER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { DiscoveryRequest, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { registerSotwServices, SOTW_SERVICES } from "@xdskit/server-sotw";
import { describe, expect, it } from "vitest";

const resource = prepareResource(ClusterSchema, { name: "a" });

// Answers at once with version v1 when the client is behind, else never.
function fixedCache(): Cache & { open: number } {
  const cache = {
    open: 0,
    createWatch(request: DiscoveryRequest, _s: unknown, respond: (r: never) => void) {
      if (request.versionInfo !== "v1") {
        respond({ request, typeUrl: request.typeUrl, version: "v1", resources: [resource], heartbeat: false } as never);
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
      response: { request, typeUrl: request.typeUrl, version: "v1", resources: [resource], heartbeat: false },
    }),
  };
  return cache;
}

async function* requests(...items: Array<MessageInitShape<typeof DiscoveryRequestSchema>>) {
  for (const item of items) yield item;
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("registerSotwServices", () => {
  it("lists every per-type SotW service", () => {
    expect(SOTW_SERVICES.map((s) => s.restName)).toEqual([
      "clusters", "endpoints", "listeners", "routes", "scoped-routes", "secrets", "runtime", "extension_configs",
    ]);
  });

  it("serves ADS, per-type streams and Fetch over a real HTTP/2 socket", async () => {
    const cache = fixedCache();
    const server = http2.createServer(connectNodeAdapter({ routes: (router) => registerSotwServices(router, cache) }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      const ads = createClient(AggregatedDiscoveryService, transport);
      const node = { id: "n" };
      for await (const response of ads.streamAggregatedResources(requests({ node, typeUrl: CLUSTER_TYPE_URL }))) {
        expect(response.versionInfo).toBe("v1");
        expect(response.resources[0]?.value).toEqual(resource.bytes);
        break;
      }
      const cds = createClient(ClusterDiscoveryService, transport);
      for await (const response of cds.streamClusters(requests({ node }))) {
        expect(response.typeUrl).toBe(CLUSTER_TYPE_URL);
        break;
      }
      expect((await cds.fetchClusters({ node })).resources).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
