// Responses carrying per-resource errors (xRFC TP3 resource_errors, sent by
// default) to a real Envoy 1.40, which does not implement the field: it must
// keep working on the rest of each response, over SotW ADS and delta ADS, and
// NACK nothing. The errored name is an EDS cluster's endpoints that fail our
// validation: SotW leaves them out (and ADS no longer holds the other
// endpoints back for them), delta lists them as removed; both carry the error.
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { configSource, edsCluster } from "@xdskit/resource-builders";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigDump } from "./support/config-dump.js";
import { type ResourcesByType, startControlPlane, type TestControlPlane, transportOf } from "./support/control-plane.js";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { listenerNames, RTDS_LAYER, scenario, type ScenarioPorts } from "./support/scenario.js";

const INVALID_ARGUMENT = 3;
const ERRORS = { [ENDPOINT_TYPE_URL]: { broken: { code: INVALID_ARGUMENT, message: 'endpoints "broken": lb_endpoints[0].endpoint.address is required' } } };

describe.each(["ads", "delta-ads"] as const)("resource_errors to a real Envoy over %s", (mode) => {
  const keeper = envoyForSuite(`resource-errors-${mode}`);
  const nodeId = `xdskit-resource-errors-${mode}`;
  let cp: TestControlPlane;
  let upstreams: Upstream[] = [];
  let ports: ScenarioPorts;
  let appAtV1: string | undefined;
  // The scenario plus a cluster whose endpoints the control plane cannot serve.
  const resourcesAt = (n: number): ResourcesByType => {
    const resources = scenario({ mode, n, upstreamPorts: upstreams.map((u) => u.port) });
    const broken = edsCluster({ name: "broken", configSource: configSource(transportOf(mode)), connectTimeoutMs: 1000 + n });
    return { ...resources, [CLUSTER_TYPE_URL]: [...(resources[CLUSTER_TYPE_URL] ?? []), broken] };
  };

  beforeAll(async () => {
    upstreams = await Promise.all([1, 2].map((n) => startUpstream(`upstream-${n}`)));
    cp = await startControlPlane({ mode, nodeId });
    cp.push("v1", resourcesAt(1), ERRORS);
    await keeper.start(bootstrapFor({ mode, xdsPort: cp.listener.port, nodeId, rtdsLayer: RTDS_LAYER }));
    ports = await keeper.envoy.waitForListenerPorts(listenerNames(mode));
    keeper.ready();
  });

  afterAll(async () => {
    await cp?.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("v1 is accepted and serves traffic; the endpoints response carried the error; nothing is NACKed", async () => {
    await eventually("traffic at v1", async () => expect((await get(ports.http, "/v1")).body).toBe("upstream-1 GET /v1"));
    expect(cp.resourceErrorsSent).toContain(`${ENDPOINT_TYPE_URL} broken ${INVALID_ARGUMENT}`);
    // Envoy knows the cluster (warming until its endpoints' initial fetch times out, in SotW).
    const dump = await readConfigDump(keeper.envoy);
    expect(dump.versions.has(`${CLUSTER_TYPE_URL} broken`) || dump.warming.includes("cluster broken")).toBe(true);
    appAtV1 = dump.versions.get(`${CLUSTER_TYPE_URL} app`);
    expect(cp.nacks).toEqual([]);
  });

  it("v2 (every resource changed, the error still there) is followed; still nothing NACKed", async () => {
    const sent = cp.resourceErrorsSent.length;
    cp.push("v2", resourcesAt(2), ERRORS);
    await eventually("traffic at v2", async () => expect((await get(ports.http, "/v2")).body).toBe("upstream-2 GET /v2"));
    // SotW versions are "v2"; delta ones are content hashes: a new one.
    await eventually("Envoy holds cluster app of v2", async () => {
      const dump = await readConfigDump(keeper.envoy);
      const app = dump.versions.get(`${CLUSTER_TYPE_URL} app`);
      expect(mode === "ads" ? app === "v2" : app !== undefined && app !== appAtV1).toBe(true);
    });
    // SotW repeats the error in each endpoints response; delta told the client once.
    if (mode === "ads") expect(cp.resourceErrorsSent.length).toBeGreaterThan(sent);
    expect(cp.nacks).toEqual([]);
  });
});
