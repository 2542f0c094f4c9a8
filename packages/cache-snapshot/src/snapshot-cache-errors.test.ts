// Per-resource errors in snapshots (xRFC TP3 resource_errors): which answers
// carry them, and the spec'd behaviour kept for clients that ignore them.
import { create } from "@bufbuild/protobuf";
import { ABSENT_RESOURCE_VERSION, CacheError, CLUSTER_TYPE_URL, createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, SnapshotError } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const cluster = (name: string) => create(ClusterSchema, { name });
const assignment = (clusterName: string) => create(ClusterLoadAssignmentSchema, { clusterName });
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const node = { id: "n1" };

function sotw(cache: ReturnType<typeof createSnapshotCache>, typeUrl: string, names: string[], versionInfo = ""): SotwResponse[] {
  const got: SotwResponse[] = [];
  const request = create(DiscoveryRequestSchema, { typeUrl, node, resourceNames: names, versionInfo });
  cache.createWatch(request, createSubscription({ resourceNames: names }), (r) => got.push(r));
  return got;
}

function delta(cache: ReturnType<typeof createSnapshotCache>, typeUrl: string, names: string[]): DeltaResponse[] {
  const got: DeltaResponse[] = [];
  const request = create(DeltaDiscoveryRequestSchema, { typeUrl, node, resourceNamesSubscribe: names });
  cache.createDeltaWatch(request, createSubscription({ resourceNames: names }), (r) => got.push(r));
  return got;
}

describe("snapshot errors", () => {
  const errors = {
    [ENDPOINT_TYPE_URL]: {
      broken: { code: INVALID_ARGUMENT, message: 'endpoints "broken": lb_endpoints[0].endpoint.address is required' },
      served: { code: INVALID_ARGUMENT, message: "v2 failed validation; v1 is served" },
    },
  };

  it("SotW: a subscription naming a name with an error gets it next to the resources; a name with a resource is served, its error not sent", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("served")] }, { errors }));
    const [response] = sotw(cache, ENDPOINT_TYPE_URL, ["a", "broken", "served", "other"]);
    expect(response?.resources.map((r) => r.name)).toEqual(["a", "served"]);
    expect(response?.errors).toEqual([{ name: "broken", code: INVALID_ARGUMENT, message: errors[ENDPOINT_TYPE_URL].broken.message }]);
  });

  it("SotW: naming a name with an error at the version the client holds is answered once (the server records it as told)", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }, { errors }));
    const subscription = createSubscription({ resourceNames: ["a"] });
    const got: SotwResponse[] = [];
    const watch = () =>
      cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node, versionInfo: got.at(-1)?.version ?? "" }), subscription, (r) => {
        got.push(r);
        const sent = new Map(r.resources.map((x) => [x.name, x.hash]));
        for (const e of r.errors ?? []) sent.set(e.name, ABSENT_RESOURCE_VERSION);
        subscription.setReturnedResources(sent);
      });
    watch();
    expect(got).toHaveLength(1);
    subscription.setResourceNames(["a", "broken"]);
    watch();
    expect(got).toHaveLength(2);
    expect(got[1]?.version).toBe("1");
    expect(got[1]?.errors?.map((e) => e.name)).toEqual(["broken"]);
    // Told: the ACK waits.
    expect(watch).not.toThrow();
    expect(got).toHaveLength(2);
  });

  it("SotW: wildcard subscriptions and subscriptions not naming the name get no errors", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }, { errors }));
    expect(sotw(cache, ENDPOINT_TYPE_URL, ["a"])[0]?.errors).toBeUndefined();
    const cds = createSnapshotCache();
    cds.setSnapshot("n1", createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("c")] }, { errors: { [CLUSTER_TYPE_URL]: { x: { code: NOT_FOUND, message: "no x" } } } }));
    const [wildcard] = sotw(cds, CLUSTER_TYPE_URL, []);
    expect(wildcard?.resources.map((r) => r.name)).toEqual(["c"]);
    expect(wildcard?.errors).toBeUndefined();
  });

  it("SotW ADS: a name with an error does not hold the answer back (it is answered, by its error)", () => {
    const cache = createSnapshotCache({ ads: true });
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }, { errors }));
    const [response] = sotw(cache, ENDPOINT_TYPE_URL, ["a", "broken"]);
    expect(response?.resources.map((r) => r.name)).toEqual(["a"]);
    expect(response?.errors?.map((e) => e.name)).toEqual(["broken"]);
    // A name with neither still holds it back, as before.
    expect(sotw(cache, ENDPOINT_TYPE_URL, ["a", "broken", "missing"])).toEqual([]);
  });

  it("delta: the name still goes in removed (and absent); its error rides along", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a"), assignment("served")] }, { errors }));
    const [response] = delta(cache, ENDPOINT_TYPE_URL, ["a", "broken", "served", "missing"]);
    expect(response?.resources.map((r) => r.name)).toEqual(["a", "served"]);
    expect(response?.removed).toEqual(["broken", "missing"]);
    expect(response?.absent).toEqual(["broken", "missing"]);
    expect(response?.errors?.map((e) => [e.name, e.code])).toEqual([["broken", INVALID_ARGUMENT]]);
  });

  it("fetch (REST) carries the errors of the names asked for", async () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("a")] }, { errors }));
    const result = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node, resourceNames: ["a", "broken"] }));
    expect(result.kind === "response" ? result.response.errors?.map((e) => e.name) : "not-modified").toEqual(["broken"]);
  });

  it("the snapshot lists the errors it serves; a bad code is refused naming the type, name and field", () => {
    const snapshot = createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment("served")] }, { errors });
    expect([...snapshot.resourceErrors(ENDPOINT_TYPE_URL).keys()]).toEqual(["broken"]);
    expect(snapshot.resourceErrors(CLUSTER_TYPE_URL).size).toBe(0);
    const bad = () => createSnapshot("1", {}, { errors: { [ENDPOINT_TYPE_URL]: { x: { code: 0, message: "ok?" } } } });
    expect(bad).toThrow(SnapshotError);
    expect(bad).toThrow(/resource "x".*code 0.*google\.rpc\.Code/);
    try {
      bad();
    } catch (error) {
      expect(error).toBeInstanceOf(CacheError);
      expect(error).toMatchObject({ code: "invalid-resource", typeUrl: ENDPOINT_TYPE_URL, resourceName: "x", field: "errors.code" });
    }
    // Errors of a type without a version are refused like resources without one.
    expect(() => createSnapshot({ [CLUSTER_TYPE_URL]: "1" }, {}, { errors })).toThrow(/no version/);
  });
});
