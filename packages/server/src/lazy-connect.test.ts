// createXdsServer (the main entry) loads its Connect routes on the first
// request the fast path and REST leave to Connect (startup-imports.test.ts
// checks that start-up does not load them): that first request, and the ones
// after it, are served as before.
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { ClientStatusDiscoveryService } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { createXdsServer } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { cluster, NODE } from "./test-fixtures.test-helper.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve() {
  const cache = createSnapshotCache({ ads: true, nodeHash: (node) => node?.cluster ?? "" });
  cache.setSnapshot(NODE.cluster, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] }));
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: false, csds: true });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => cache.close(), () => server.close());
  return listener.url;
}

describe("createXdsServer's Connect routes, loaded on first use", () => {
  it("serves concurrent first requests over the Connect protocol, then gRPC Fetch and CSDS", async () => {
    const url = await serve();
    const connect = createClient(AggregatedDiscoveryService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
    const first = async () => {
      const requests = (async function* () {
        yield { node: NODE, typeUrl: CLUSTER_TYPE_URL };
        await new Promise((resolve) => setTimeout(resolve, 100));
      })();
      for await (const response of connect.streamAggregatedResources(requests)) return response;
      throw new Error("no response");
    };
    // Two streams before the routes are loaded: both wait for the one load.
    const responses = await Promise.all([first(), first()]);
    expect(responses.map((r) => [r.versionInfo, r.resources.length])).toEqual([["v1", 2], ["v1", 2]]);

    const grpc = createGrpcTransport({ baseUrl: url });
    const fetched = await createClient(ClusterDiscoveryService, grpc).fetchClusters({ node: NODE });
    expect([fetched.versionInfo, fetched.resources.length]).toEqual(["v1", 2]);

    // CSDS lists the node of a stream that is open (over Connect) while it answers.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const open = connect.streamAggregatedResources(
      (async function* () {
        yield { node: { ...NODE, id: "held" }, typeUrl: CLUSTER_TYPE_URL };
        await held;
      })(),
    )[Symbol.asyncIterator]();
    expect((await open.next()).value?.versionInfo).toBe("v1");
    const status = await createClient(ClientStatusDiscoveryService, grpc).fetchClientStatus({});
    expect(status.config.map((c) => c.node?.id)).toContain("held");
    release();
    await open.return?.();
  });
});
