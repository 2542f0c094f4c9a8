import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { type ConfigWatcher, LB_ENDPOINT_TYPE_URL, prepareRawResource } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { DeltaDiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { LocalityEndpointDiscoveryService } from "@xdskit/envoy-api/envoy/service/endpoint/v3/leds_pb";
import { DELTA_SERVICES, registerDeltaServices } from "@xdskit/server-delta";
import { describe, expect, it } from "vitest";

const resource = prepareRawResource({ typeUrl: LB_ENDPOINT_TYPE_URL, name: "xdstp://x/ep/1", bytes: new Uint8Array([8, 1]) });

const cache: ConfigWatcher = {
  createWatch: () => () => {},
  createDeltaWatch(request, subscription, respond) {
    if (subscription.returnedResources().has(resource.name)) return () => {};
    respond({
      request,
      typeUrl: request.typeUrl,
      systemVersion: "1",
      resources: [resource],
      removed: ["gone"],
      nextVersionMap: new Map([[resource.name, resource.hash]]),
    });
    return () => {};
  },
};

async function* requests(...items: Array<MessageInitShape<typeof DeltaDiscoveryRequestSchema>>) {
  for (const item of items) yield item;
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe("registerDeltaServices", () => {
  it("lists every per-type delta method, VHDS and LEDS included", () => {
    expect(DELTA_SERVICES).toHaveLength(10);
    expect(DELTA_SERVICES.map((s) => s.delta.name)).toContain("DeltaVirtualHosts");
    expect(DELTA_SERVICES.map((s) => s.delta.name)).toContain("DeltaLocalityEndpoints");
  });

  it("serves delta ADS and LEDS over a real HTTP/2 socket", async () => {
    const server = http2.createServer(connectNodeAdapter({ routes: (router) => registerDeltaServices(router, cache) }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      const node = { id: "n" };
      const ads = createClient(AggregatedDiscoveryService, transport);
      for await (const response of ads.deltaAggregatedResources(requests({ node, typeUrl: LB_ENDPOINT_TYPE_URL }))) {
        expect(response.resources.map((r) => [r.name, r.version])).toEqual([[resource.name, resource.hash]]);
        expect(response.removedResources).toEqual(["gone"]);
        expect(response.nonce).not.toBe("");
        break;
      }
      const leds = createClient(LocalityEndpointDiscoveryService, transport);
      for await (const response of leds.deltaLocalityEndpoints(requests({ node, resourceNamesSubscribe: [resource.name] }))) {
        expect(response.typeUrl).toBe(LB_ENDPOINT_TYPE_URL);
        expect(response.resources[0]?.resource?.value).toEqual(resource.bytes);
        break;
      }
    } finally {
      server.close();
    }
  });
});
