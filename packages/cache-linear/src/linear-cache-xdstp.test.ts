// Federation (xdstp://) names in the linear cache: matched in canonical spelling, glob collections per xRFC TP1.
import { create } from "@bufbuild/protobuf";
import { createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const T = "envoy.config.endpoint.v3.ClusterLoadAssignment";
const cla = (name: string, weight = 1) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });
const names = (resources: readonly { name: string }[] | undefined) => (resources ?? []).map((r) => r.name).sort();

describe("linear cache with xdstp names", () => {
  it("a request spelling the context parameters in another order or escaping differently gets the resource", async () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla(`xdstp://auth/${T}/c1?b=2&a=1`)] });
    const canonical = `xdstp://auth/${T}/c1?a=1&b=2`;
    expect(cache.getResource(`xdstp://auth/${T}/c1?b=2&a=%31`)?.name).toBe(canonical);
    const responses: SotwResponse[] = [];
    const subscription = createSubscription({ resourceNames: [`xdstp://au%74h/${T}/c1?b=2&a=1`] });
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL }), subscription, (r) => responses.push(r));
    expect(names(responses[0]?.resources)).toEqual([canonical]);
    const fetched = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNames: [`xdstp://auth/${T}/c1?b=2&a=1`] }));
    expect(fetched.kind === "response" ? names(fetched.response.resources) : []).toEqual([canonical]);
    expect(cache.deleteResource(`xdstp://auth/${T}/c1?b=2&a=1`)).toBe(true);
    expect(cache.resourceCount()).toBe(0);
  });

  it("a glob covers its collection: one segment deeper, the same context parameters, nothing else", () => {
    const cache = createLinearCache({
      schema: ClusterLoadAssignmentSchema,
      initialResources: [
        cla(`xdstp://auth/${T}/team/a?k=v`),
        cla(`xdstp://auth/${T}/team/b?k=v`),
        cla(`xdstp://auth/${T}/team/deeper/c?k=v`),
        cla(`xdstp://auth/${T}/team/d?k=other`),
        cla(`xdstp://auth/${T}/team/e`),
        cla(`xdstp://other/${T}/team/f?k=v`),
      ],
    });
    const responses: DeltaResponse[] = [];
    const subscription = createSubscription({ resourceNames: [`xdstp://auth/${T}/team/*?k=v`] });
    const watch = () =>
      cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL }), subscription, (r) => {
        responses.push(r);
        subscription.recordDeltaResponse(r.resources, r.removed);
      });
    watch();
    expect(names(responses[0]?.resources)).toEqual([`xdstp://auth/${T}/team/a?k=v`, `xdstp://auth/${T}/team/b?k=v`]);
    // A glob with members is not reported absent.
    expect(responses[0]?.removed).toEqual([]);
    watch();
    cache.updateResources([cla(`xdstp://auth/${T}/team/new?k=v`), cla(`xdstp://auth/${T}/team/x?k=w`)], [`xdstp://auth/${T}/team/a?k=v`]);
    expect(names(responses[1]?.resources)).toEqual([`xdstp://auth/${T}/team/new?k=v`]);
    expect(responses[1]?.removed).toEqual([`xdstp://auth/${T}/team/a?k=v`]);
    watch();
    expect(cache.watchCountFor(`xdstp://auth/${T}/team/zzz?k=v`)).toBe(1);
    expect(cache.watchCountFor(`xdstp://auth/${T}/team/deeper/zzz?k=v`)).toBe(0);
  });

  it("a glob at the top of a type covers the ids without a slash", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla(`xdstp://a/${T}/x`), cla(`xdstp://a/${T}/y/z`)] });
    const responses: SotwResponse[] = [];
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL }), createSubscription({ resourceNames: [`xdstp://a/${T}/*`] }), (r) => responses.push(r));
    expect(names(responses[0]?.resources)).toEqual([`xdstp://a/${T}/x`]);
  });

  it("delta: a glob whose collection is empty is reported once under its own name; members that appear later are sent", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema });
    const glob = `xdstp://a/${T}/team/*`;
    const responses: DeltaResponse[] = [];
    const subscription = createSubscription({ resourceNames: [glob] });
    const watch = () =>
      cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL }), subscription, (r) => {
        responses.push(r);
        subscription.recordDeltaResponse(r.resources, r.removed);
      });
    watch();
    expect(responses[0]?.removed).toEqual([glob]);
    watch();
    expect(responses).toHaveLength(1);
    cache.updateResource(cla(`xdstp://a/${T}/team/m`));
    expect(names(responses[1]?.resources)).toEqual([`xdstp://a/${T}/team/m`]);
    expect(responses[1]?.removed).toEqual([]);
  });
});
