import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CacheError,
  CLUSTER_TYPE_URL,
  createResourceTypeRegistry,
  createSubscription,
  type DeltaResponse,
  defineResourceType,
  ENDPOINT_TYPE_URL,
  prepareRawResource,
  type SotwResponse,
  typeUrlOf,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { RouteSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const request = (typeUrl: string, versionInfo = "", resourceNames: string[] = [], node = "n1") =>
  create(DiscoveryRequestSchema, { typeUrl, versionInfo, resourceNames, node: { id: node } });

describe("SnapshotCache fetch", () => {
  const cache = createSnapshotCache();
  cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: ["a", "b", "c"].map((name) => create(ClusterSchema, { name })) }));

  it("answers with the snapshot's resources and version", async () => {
    const result = await cache.fetch(request(CLUSTER_TYPE_URL));
    expect(result.kind).toBe("response");
    if (result.kind !== "response") return;
    expect(result.response).toMatchObject({ version: "v1", typeUrl: CLUSTER_TYPE_URL, heartbeat: false });
    expect(result.response.resources.map((r) => r.name)).toEqual(["a", "b", "c"]);
  });

  it("answers with the requested names only, all for a wildcard", async () => {
    const named = await cache.fetch(request(CLUSTER_TYPE_URL, "", ["c", "a", "zz"]));
    expect(named.kind === "response" && named.response.resources.map((r) => r.name)).toEqual(["c", "a"]);
    const wildcard = await cache.fetch(request(CLUSTER_TYPE_URL, "", ["*"]));
    expect(wildcard.kind === "response" && wildcard.response.resources).toHaveLength(3);
  });

  it("is not-modified when the client has the current version", async () => {
    await expect(cache.fetch(request(CLUSTER_TYPE_URL, "v1"))).resolves.toMatchObject({ kind: "not-modified", version: "v1" });
  });

  it("is not-modified when the node has no snapshot: there is nothing newer to give", async () => {
    await expect(cache.fetch(request(CLUSTER_TYPE_URL, "", [], "stranger"))).resolves.toMatchObject({ kind: "not-modified" });
    const perType = createSnapshotCache();
    perType.setSnapshot("n1", createSnapshot({ [CLUSTER_TYPE_URL]: "c1" }, {}));
    await expect(perType.fetch(request(ENDPOINT_TYPE_URL))).resolves.toMatchObject({ kind: "not-modified" });
  });

  it("rejects an unknown type and a missing node with a CacheError", async () => {
    await expect(cache.fetch(request("type.googleapis.com/acme.Gadget"))).rejects.toThrowError(/acme\.Gadget/);
    await expect(cache.fetch(request("type.googleapis.com/acme.Gadget"))).rejects.toBeInstanceOf(CacheError);
    await expect(cache.fetch(create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL }))).rejects.toMatchObject({
      code: "missing-node",
    });
  });

  it("records the request time", async () => {
    const fresh = createSnapshotCache();
    await fresh.fetch(request(CLUSTER_TYPE_URL, "", [], "poller"));
    expect(fresh.statusInfo("poller")).toMatchObject({ sotwWatches: 0, deltaWatches: 0, node: { id: "poller" } });
    expect(fresh.statusInfo("poller")?.lastRequestTime).toBeTypeOf("number");
  });
});

describe("custom resource types", () => {
  const ROUTE_RESOURCE_URL = typeUrlOf(RouteSchema);
  const types = createResourceTypeRegistry([defineResourceType({ typeUrl: ROUTE_RESOURCE_URL, schema: RouteSchema })]);

  it("are served end to end: SotW watch before the snapshot, delta, fetch", async () => {
    const cache = createSnapshotCache({ types });
    const sotw: SotwResponse[] = [];
    cache.createWatch(request(ROUTE_RESOURCE_URL), createSubscription(), (r) => sotw.push(r));
    const delta: DeltaResponse[] = [];
    cache.createDeltaWatch(
      create(DeltaDiscoveryRequestSchema, { typeUrl: ROUTE_RESOURCE_URL, node: { id: "n1" }, resourceNamesSubscribe: ["r2"] }),
      createSubscription({ resourceNames: ["r2"] }),
      (r) => delta.push(r),
    );

    const snapshot = createSnapshot("v1", { [ROUTE_RESOURCE_URL]: [create(RouteSchema, { name: "r1" }), create(RouteSchema, { name: "r2" })] }, { types });
    expect(snapshot.typeUrls()).toEqual([ROUTE_RESOURCE_URL]);
    expect(cache.setSnapshot("n1", snapshot)).toBe(2);
    expect(sotw[0]?.resources.map((r) => r.any.typeUrl)).toEqual([ROUTE_RESOURCE_URL, ROUTE_RESOURCE_URL]);
    expect(delta[0]?.resources.map((r) => r.name)).toEqual(["r2"]);
    const fetched = await cache.fetch(request(ROUTE_RESOURCE_URL, "", ["r1"]));
    expect(fetched.kind === "response" && fetched.response.resources.map((r) => r.name)).toEqual(["r1"]);
  });

  it("a cache without the type accepts it once the node's snapshot has it", () => {
    const cache = createSnapshotCache();
    const rawUrl = "type.googleapis.com/acme.v1.Widget";
    expect(() => cache.createWatch(request(rawUrl), createSubscription(), () => {})).toThrowError(CacheError);
    const widget = prepareRawResource({ typeUrl: rawUrl, name: "w", bytes: new Uint8Array([8, 1]) });
    cache.setSnapshot("n1", createSnapshot("v1", { [rawUrl]: [widget] }));
    const got: SotwResponse[] = [];
    cache.createWatch(request(rawUrl), createSubscription(), (r) => got.push(r));
    expect(got[0]?.resources[0]?.bytes).toEqual(new Uint8Array([8, 1]));
    // Other nodes still have no such type.
    expect(() => cache.createWatch(request(rawUrl, "", [], "n2"), createSubscription(), () => {})).toThrowError(/acme\.v1\.Widget/);
  });
});
