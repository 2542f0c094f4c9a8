// xdstp glob collections on a delta stream: members sent for a glob stay known to the stream
// across later subscription changes, so their removal is reported (Envoy drops a removed
// listener or cluster only when told).
import { create, fromBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { DeltaDiscoveryRequestSchema, type DeltaDiscoveryResponse, DeltaDiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createServerContext } from "@xdskit/server-core";
import { createDeltaProtocol } from "@xdskit/server-delta";
import { expect, it } from "vitest";

const C = "xdstp://auth/envoy.config.cluster.v3.Cluster";
const cluster = (name: string) => prepareResource(ClusterSchema, { name });

it("reports the removal of a glob member after the subscription changed", async () => {
  const context = createServerContext();
  const cache = createSnapshotCache();
  const stream = createDeltaProtocol(cache, context).openStream({ typeUrl: "", requestHeader: new Headers(), peer: undefined, signal: new AbortController().signal });
  try {
    await stream.open();
    const next = async (): Promise<DeltaDiscoveryResponse> => {
      const chunks = await stream.next();
      if (chunks === undefined) throw new Error("the stream ended");
      return fromBinary(DeltaDiscoveryResponseSchema, Buffer.concat(chunks));
    };
    cache.setSnapshot("n1", createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster(`${C}/edge/a?k=v`), cluster(`${C}/edge/b?k=v`), cluster(`${C}/solo`)] }));
    await stream.receive(create(DeltaDiscoveryRequestSchema, { node: { id: "n1" }, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: [`${C}/edge/*?k=v`] }));
    const first = await next();
    expect(first.resources.map((r) => r.name).sort()).toEqual([`${C}/edge/a?k=v`, `${C}/edge/b?k=v`]);
    // A subscription change (as Envoy makes when it learns of a new name) keeps the glob's members known.
    await stream.receive(create(DeltaDiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce, resourceNamesSubscribe: [`${C}/solo`] }));
    const second = await next();
    expect(second.resources.map((r) => r.name)).toEqual([`${C}/solo`]);
    await stream.receive(create(DeltaDiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, responseNonce: second.nonce }));
    cache.setSnapshot("n1", createSnapshot("2", { [CLUSTER_TYPE_URL]: [cluster(`${C}/edge/b?k=v`), cluster(`${C}/solo`)] }));
    expect((await next()).removedResources).toEqual([`${C}/edge/a?k=v`]);
  } finally {
    await stream.close();
    context.shutdown();
    cache.close();
  }
});
