// A linear cache answers "does not exist" the way the snapshot cache does
// (issue 18), over a real socket: VHDS on demand gets a Resource without a
// body naming the missing host (Envoy completes an on-demand request only
// that way), ODCDS gets the name in removed_resources, each at once.
import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, NODE } from "./test-fixtures.test-helper.js";

const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(cache: LinearCache): Promise<TestClient> {
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: false });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  const client = connectClient(listener.url);
  cleanups.push(() => server.close(), () => client.close());
  return client;
}

describe("a linear cache reports subscribed names that do not exist", () => {
  it("VHDS: a missing host is answered at once as a Resource without a body naming it, not as a removal", async () => {
    const host = create(VirtualHostSchema, { name: "local_route/known.example", domains: ["known.example"] });
    const cache = createLinearCache({ schema: VirtualHostSchema, typeUrl: VIRTUAL_HOST_TYPE_URL, initialResources: [host] });
    const client = await serve(cache);
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: VIRTUAL_HOST_TYPE_URL, resourceNamesSubscribe: ["local_route/known.example", "local_route/nobody"] });
    const first = await stream.next();
    const bodies = first.resources.map((r) => ({ name: r.name, aliases: r.aliases, body: r.resource !== undefined }));
    expect(bodies).toEqual([
      { name: "local_route/known.example", aliases: [], body: true },
      { name: "local_route/nobody", aliases: ["local_route/nobody"], body: false },
    ]);
    expect(first.removedResources).toEqual([]);
    // Told once: the next request that changes nothing gets nothing.
    stream.send({ typeUrl: VIRTUAL_HOST_TYPE_URL, responseNonce: first.nonce });
    await stream.nothing();
  });

  it("ODCDS: a missing cluster goes in removed_resources at once; created later, it is sent", async () => {
    const cache = createLinearCache({ typeUrl: CLUSTER_TYPE_URL });
    const client = await serve(cache);
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["on-demand"] });
    const first = await stream.next();
    expect(first.resources).toEqual([]);
    expect(first.removedResources).toEqual(["on-demand"]);
    stream.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    await stream.nothing();
    cache.updateResource(cluster("on-demand"));
    const second = await stream.next();
    expect(second.resources.map((r) => r.name)).toEqual(["on-demand"]);
  });
});
