// A listener a real Envoy rejects: onNack gets Envoy's reason, Envoy keeps serving the previous
// version, and the fixed version that follows is accepted.
import { clone } from "@bufbuild/protobuf";
import { LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { FilterChainSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_components_pb";
import { ListenerSchema, type Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { bootstrapFor } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigDump, TYPE_LEVEL } from "./support/config-dump.js";
import { startControlPlane, type TestControlPlane } from "./support/control-plane.js";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { listenerNames, RTDS_LAYER, scenario, type ScenarioPorts } from "./support/scenario.js";

describe("nack: Envoy rejects a listener and keeps serving the previous version", () => {
  const keeper = envoyForSuite("nack");
  const nodeId = "xdskit-nack";
  let cp: TestControlPlane;
  let upstreams: Upstream[] = [];
  let ports: ScenarioPorts;
  const resourcesAt = (n: number) => scenario({ mode: "ads", n, upstreamPorts: upstreams.map((u) => u.port) });
  const listenerKey = (name: string) => `${LISTENER_TYPE_URL} ${name}`;

  beforeAll(async () => {
    upstreams = await Promise.all([1, 2, 3].map((n) => startUpstream(`upstream-${n}`)));
    cp = await startControlPlane({ mode: "ads", nodeId });
    cp.push("v1", resourcesAt(1));
    await keeper.start(bootstrapFor({ mode: "ads", xdsPort: cp.listener.port, nodeId, rtdsLayer: RTDS_LAYER }));
    ports = await keeper.envoy.waitForListenerPorts(listenerNames("ads"));
    keeper.ready();
  });

  afterAll(async () => {
    await cp?.close();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("v1 is accepted and serves traffic", async () => {
    await eventually("Envoy holds listeners v1", async () => {
      const dump = await readConfigDump(keeper.envoy);
      expect(dump.versions.get(listenerKey("http"))).toBe("v1");
      expect(dump.versions.get(listenerKey(TYPE_LEVEL))).toBe("v1");
    });
    await eventually("traffic at v1", async () => expect((await get(ports.http, "/v1")).body).toBe("upstream-1 GET /v1"));
    expect(cp.nacks).toEqual([]);
  });

  it("v2 with two identical filter chains is NACKed with Envoy's reason; v1 keeps serving", async () => {
    // v1's resources, except that the HTTP listener gets its filter chain twice: it decodes, but
    // Envoy refuses two chains with the same match.
    const v2 = { ...resourcesAt(1) };
    v2[LISTENER_TYPE_URL] = (v2[LISTENER_TYPE_URL] as Listener[]).map((l) => {
      if (l.name !== "http") return l;
      const bad = clone(ListenerSchema, l);
      const chain = bad.filterChains[0];
      if (chain === undefined) throw new Error("the http listener has no filter chain");
      bad.filterChains.push(clone(FilterChainSchema, chain));
      return bad;
    });
    cp.push("v2", v2);

    const nack = await eventually("onNack for the listeners of v2", () => {
      expect(cp.nacks).toHaveLength(1);
      return cp.nacks[0];
    });
    expect({ typeUrl: nack?.typeUrl, version: nack?.version, node: nack?.node?.id, resources: [...(nack?.resourceNames ?? [])].sort() }).toEqual({
      typeUrl: LISTENER_TYPE_URL,
      version: "v2",
      node: nodeId,
      resources: ["http", "scoped", "tcp"],
    });
    expect(nack?.message).toMatch(/^Error adding\/updating listener\(s\) http: .*has the same matching rules defined as/);

    const dump = await readConfigDump(keeper.envoy);
    expect(dump.versions.get(listenerKey(TYPE_LEVEL)), "LDS stays at the last accepted version").toBe("v1");
    expect(dump.versions.get(listenerKey("http")), "the active http listener is still v1's").toBe("v1");
    expect(dump.listenerErrors.get("http"), "Envoy records the rejected update").toMatch(/has the same matching rules defined as/);
    const r = await get(ports.http, "/still-v1");
    expect({ status: r.status, body: r.body, route: r.headers["x-route"] }).toEqual({ status: 200, body: "upstream-1 GET /still-v1", route: "http-routes@v1" });
  });

  it("the fixed v3 is ACKed: Envoy holds v3, serves it, and nothing more is NACKed", async () => {
    cp.push("v3", resourcesAt(3));
    await eventually("Envoy holds listeners v3", async () => {
      const dump = await readConfigDump(keeper.envoy);
      expect({ all: dump.versions.get(listenerKey(TYPE_LEVEL)), http: dump.versions.get(listenerKey("http")), error: dump.listenerErrors.get("http") }).toEqual({
        all: "v3",
        http: "v3",
        error: undefined,
      });
    });
    await eventually("traffic at v3", async () => {
      const r = await get(ports.http, "/v3");
      expect({ body: r.body, route: r.headers["x-route"] }).toEqual({ body: "upstream-3 GET /v3", route: "http-routes@v3" });
    });
    expect(cp.nacks).toHaveLength(1);
  });
});
