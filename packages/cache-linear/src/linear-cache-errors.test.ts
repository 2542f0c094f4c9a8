// Per-resource errors in a linear cache (xRFC TP3 resource_errors): set and
// cleared per name, sent to watches that name them, beside the spec'd
// behaviour for clients that ignore them.
import { create } from "@bufbuild/protobuf";
import { ABSENT_RESOURCE_VERSION, createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { createLinearCache, LinearCacheError } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const cla = (name: string, weight = 1) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });
const INVALID = { code: 3, message: 'endpoints "b" failed validation: lb_endpoints[0].endpoint is required' };
const GONE = { code: 5, message: 'cluster "b" was deleted' };

// A stream as a server runs it: every answer recorded (names told of an error as known not to
// exist), then the next watch opened at once.
function sotwStream(cache: ReturnType<typeof createLinearCache>, names: string[]) {
  const subscription = createSubscription({ resourceNames: names });
  const got: SotwResponse[] = [];
  const watch = (versionInfo: string) => {
    const request = create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNames: [...subscription.resourceNames()], versionInfo });
    return cache.createWatch(request, subscription, (r) => {
      got.push(r);
      const sent = new Map(r.resources.map((x) => [x.name, x.hash]));
      for (const e of r.errors ?? []) sent.set(e.name, ABSENT_RESOURCE_VERSION);
      subscription.setReturnedResources(sent);
      if (got.length > 20) throw new Error("answered again and again");
      cancel = watch(r.version);
    });
  };
  let cancel = watch("");
  return {
    got,
    // A new request naming more names, at the version the client holds.
    subscribe(more: string[]) {
      cancel();
      subscription.setResourceNames([...subscription.resourceNames(), ...more]);
      cancel = watch(got[got.length - 1]?.version ?? "");
    },
  };
}

function deltaStream(cache: ReturnType<typeof createLinearCache>, names: string[]) {
  const subscription = createSubscription({ resourceNames: names });
  const got: DeltaResponse[] = [];
  const watch = () => {
    cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL }), subscription, (r) => {
      got.push(r);
      subscription.recordDeltaResponse(r.resources, r.removed);
      queueMicrotask(watch);
    });
  };
  watch();
  return { got, subscription };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("linear cache errors", () => {
  it("SotW: a name with an error is answered with it, at a new version; the resources are as before", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const { got } = sotwStream(cache, ["a", "b"]);
    expect(got).toHaveLength(1);
    expect(got[0]?.errors).toBeUndefined();
    expect(cache.setResourceError("b", INVALID)).toBe(true);
    expect(got).toHaveLength(2);
    expect(got[1]?.version).toBe("1");
    expect(got[1]?.resources.map((r) => r.name)).toEqual(["a"]);
    expect(got[1]?.errors).toEqual([{ name: "b", ...INVALID }]);
    // The same error again changes nothing; the error is in every later answer until cleared.
    expect(cache.setResourceError("b", { ...INVALID })).toBe(false);
    cache.updateResource(cla("a", 2));
    expect(got[2]?.errors).toEqual([{ name: "b", ...INVALID }]);
    expect(cache.setResourceError("b", undefined)).toBe(false);
    cache.updateResource(cla("a", 3));
    expect(got[3]?.errors).toBeUndefined();
  });

  it("SotW: naming a name with an error at the version the client holds is answered once, with the error", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    cache.setResourceError("b", INVALID);
    const stream = sotwStream(cache, ["a"]);
    expect(stream.got.map((r) => r.errors)).toEqual([undefined]);
    stream.subscribe(["b"]);
    expect(stream.got).toHaveLength(2);
    expect(stream.got[1]?.version).toBe(stream.got[0]?.version);
    expect(stream.got[1]?.errors).toEqual([{ name: "b", ...INVALID }]);
    // Told: the re-watch (an ACK) waits, and a name without an error still gets nothing.
    stream.subscribe(["c"]);
    expect(stream.got).toHaveLength(2);
  });

  it("SotW: watches not naming the name, and wildcard watches, get no errors and no answer for them", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const { got: named } = sotwStream(cache, ["a"]);
    cache.setResourceError("b", INVALID);
    expect(named).toHaveLength(1);
    const all = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    const { got: wildcard } = sotwStream(all, []);
    all.setResourceError("b", INVALID);
    expect(wildcard.every((r) => r.errors === undefined)).toBe(true);
  });

  it("a name with a resource is served and its error kept but not sent; updating the resource clears it", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a"), cla("b")] });
    const { got } = sotwStream(cache, ["a", "b"]);
    expect(cache.setResourceError("b", INVALID)).toBe(false);
    expect(got).toHaveLength(1);
    expect(cache.getResourceErrors().get("b")).toEqual({ name: "b", ...INVALID });
    // Deleted with its error kept: the error goes out now that the name has no resource.
    cache.deleteResource("b");
    expect(got[1]?.resources.map((r) => r.name)).toEqual(["a"]);
    expect(got[1]?.errors).toEqual([{ name: "b", ...INVALID }]);
    cache.updateResource(cla("b", 2));
    expect(cache.getResourceErrors().size).toBe(0);
    expect(got[2]?.errors).toBeUndefined();
  });

  it("delta: the name goes in removed as before, its error beside it; an error set later re-reports it once", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    cache.setResourceError("b", GONE);
    const { got, subscription } = deltaStream(cache, ["a", "b", "c"]);
    expect(got[0]?.resources.map((r) => r.name)).toEqual(["a"]);
    expect(got[0]?.removed).toEqual(["b", "c"]);
    expect(got[0]?.errors).toEqual([{ name: "b", ...GONE }]);
    await tick();
    expect(subscription.returnedResources().get("c")).toBe(ABSENT_RESOURCE_VERSION);
    // "c" was told it does not exist; its new error is news: reported again, once.
    cache.setResourceError("c", INVALID);
    expect(got[1]?.resources).toEqual([]);
    expect(got[1]?.removed).toEqual(["c"]);
    expect(got[1]?.absent).toEqual([]);
    expect(got[1]?.errors).toEqual([{ name: "c", ...INVALID }]);
    await tick();
    cache.updateResource(cla("a", 2));
    expect(got[2]?.removed).toEqual([]);
    expect(got[2]?.errors).toBeUndefined();
    expect(got).toHaveLength(3);
  });

  it("delta: an error set while no watch is open goes out with the next watch", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const subscription = createSubscription({ resourceNames: ["x"] });
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL });
    const got: DeltaResponse[] = [];
    const respond = (r: DeltaResponse) => {
      got.push(r);
      subscription.recordDeltaResponse(r.resources, r.removed);
    };
    cache.createDeltaWatch(request, subscription, respond);
    expect(got[0]?.removed).toEqual(["x"]);
    cache.setResourceError("x", GONE);
    cache.createDeltaWatch(request, subscription, respond);
    expect(got[1]?.errors).toEqual([{ name: "x", ...GONE }]);
    cache.createDeltaWatch(request, subscription, respond);
    expect(got).toHaveLength(2);
  });

  it("fetch carries the errors of the names asked for", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")] });
    cache.setResourceError("b", INVALID);
    const result = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] }));
    expect(result.kind === "response" ? result.response.errors : "not-modified").toEqual([{ name: "b", ...INVALID }]);
  });

  it("refuses a code that is not a google.rpc.Code, naming the resource and field", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    for (const code of [0, 17, 2.5, Number.NaN]) {
      expect(() => cache.setResourceError("b", { code, message: "?" })).toThrow(LinearCacheError);
    }
    expect(() => cache.setResourceError("b", { code: 0, message: "?" })).toThrow(/resource "b".*code 0/);
    try {
      cache.setResourceError("b", { code: 99, message: "?" });
    } catch (error) {
      expect(error).toMatchObject({ code: "invalid-resource", resourceName: "b", field: "code" });
    }
    expect(cache.version()).toBe("0");
  });
});
