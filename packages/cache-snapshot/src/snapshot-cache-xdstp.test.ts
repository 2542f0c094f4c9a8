// Federation (xdstp://) names in the snapshot cache: matched in canonical spelling, glob collections per xRFC TP1.
import { create } from "@bufbuild/protobuf";
import { createSubscription, type DeltaResponse, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

const L = "envoy.config.listener.v3.Listener";
const E = "envoy.config.endpoint.v3.ClusterLoadAssignment";
const listener = (name: string, port = 1) => create(ListenerSchema, { name, statPrefix: String(port) });
const assignment = (clusterName: string) => create(ClusterLoadAssignmentSchema, { clusterName });
const names = (resources: readonly { name: string }[] | undefined) => (resources ?? []).map((r) => r.name).sort();
const node = { id: "n1" };

describe("snapshot cache with xdstp names", () => {
  it("SotW and fetch: a name spelled with its context parameters in another order matches; ADS does not hold for it", async () => {
    const cache = createSnapshotCache({ ads: true });
    cache.setSnapshot("n1", createSnapshot("1", { [ENDPOINT_TYPE_URL]: [assignment(`xdstp://auth/${E}/c1?b=2&a=1`)] }));
    const responses: SotwResponse[] = [];
    const subscription = createSubscription({ resourceNames: [`xdstp://auth/${E}/c1?b=%32&a=1`] });
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node }), subscription, (r) => responses.push(r));
    expect(names(responses[0]?.resources)).toEqual([`xdstp://auth/${E}/c1?a=1&b=2`]);
    const fetched = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node, resourceNames: [`xdstp://auth/${E}/c1?b=2&a=1`] }));
    expect(fetched.kind === "response" ? names(fetched.response.resources) : []).toEqual([`xdstp://auth/${E}/c1?a=1&b=2`]);
  });

  it("SotW: a glob gets its collection (one segment deeper, the same context parameters), also when empty, also in ADS mode", () => {
    const cache = createSnapshotCache({ ads: true });
    const all = [`xdstp://a/${L}/l/x?k=v`, `xdstp://a/${L}/l/y?k=v`, `xdstp://a/${L}/l/deep/z?k=v`, `xdstp://a/${L}/l/w?k=w`, `xdstp://a/${L}/l/u`];
    cache.setSnapshot("n1", createSnapshot("1", { [LISTENER_TYPE_URL]: all.map((n, i) => listener(n, i)) }));
    const responses: SotwResponse[] = [];
    const subscription = createSubscription({ resourceNames: [`xdstp://a/${L}/l/*?k=v`, `xdstp://a/${L}/none/*`] });
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: LISTENER_TYPE_URL, node }), subscription, (r) => responses.push(r));
    expect(names(responses[0]?.resources)).toEqual([`xdstp://a/${L}/l/x?k=v`, `xdstp://a/${L}/l/y?k=v`]);
    subscription.setReturnedResources(new Map((responses[0]?.resources ?? []).map((r) => [r.name, r.hash])));
    cache.createWatch(create(DiscoveryRequestSchema, { typeUrl: LISTENER_TYPE_URL, node, versionInfo: "1" }), subscription, (r) => responses.push(r));
    cache.setSnapshot("n1", createSnapshot("2", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/l/x?k=v`), listener(`xdstp://a/${L}/l/new?k=v`)] }));
    expect(names(responses[1]?.resources)).toEqual([`xdstp://a/${L}/l/new?k=v`, `xdstp://a/${L}/l/x?k=v`]);
  });

  it("delta: members of a glob arrive, change and leave; a glob with members is not reported absent", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", createSnapshot("1", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/l/x`), listener(`xdstp://a/${L}/l/y`), listener(`xdstp://a/${L}/m/z`)] }));
    const responses: DeltaResponse[] = [];
    const subscription = createSubscription({ resourceNames: [`xdstp://a/${L}/l/*`] });
    const watch = () =>
      cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: LISTENER_TYPE_URL, node }), subscription, (r) => {
        responses.push(r);
        subscription.recordDeltaResponse(r.resources, r.removed);
      });
    watch();
    expect(names(responses[0]?.resources)).toEqual([`xdstp://a/${L}/l/x`, `xdstp://a/${L}/l/y`]);
    expect(responses[0]?.removed).toEqual([]);
    watch();
    cache.setSnapshot("n1", createSnapshot("2", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/l/x`, 9), listener(`xdstp://a/${L}/m/z`, 9)] }));
    expect(names(responses[1]?.resources)).toEqual([`xdstp://a/${L}/l/x`]);
    expect(responses[1]?.removed).toEqual([`xdstp://a/${L}/l/y`]);
    expect(subscription.returnedResources().has(`xdstp://a/${L}/l/y`)).toBe(false);
  });

  it("delta: a glob whose collection is empty is reported once under its own name; members that appear later are sent", () => {
    const cache = createSnapshotCache();
    const glob = `xdstp://a/${L}/l/*`;
    cache.setSnapshot("n1", createSnapshot("1", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/m/z`)] }));
    const responses: DeltaResponse[] = [];
    const subscription = createSubscription({ resourceNames: [glob] });
    const watch = () =>
      cache.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { typeUrl: LISTENER_TYPE_URL, node }), subscription, (r) => {
        responses.push(r);
        subscription.recordDeltaResponse(r.resources, r.removed);
      });
    watch();
    expect(responses[0]?.removed).toEqual([glob]);
    watch();
    cache.setSnapshot("n1", createSnapshot("2", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/m/z`, 2)] }));
    expect(responses).toHaveLength(1);
    cache.setSnapshot("n1", createSnapshot("3", { [LISTENER_TYPE_URL]: [listener(`xdstp://a/${L}/l/x`)] }));
    expect(names(responses[1]?.resources)).toEqual([`xdstp://a/${L}/l/x`]);
    expect(responses[1]?.removed).toEqual([]);
  });
});
