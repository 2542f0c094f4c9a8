// Each HTTP/2 attack of issue 16 from another loopback peer (127.0.0.2) while a real Envoy holds its
// ADS stream: the offender's connection is closed, Envoy keeps its config and gets the update pushed
// during the attack (traffic follows it to the other upstream), and the server's heap after the attack
// is back within a few MiB. The timeouts that would take a minute on the defaults (write stall,
// HTTP/1.1 headers) are shortened; every count-based guard is on its default.
import { create, toBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { staticCluster } from "@xdskit/resource-builders";
import { createXdsServer, type XdsListener, type XdsServer } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { ATTACKER, type AttackOutcome, HTTP2_ATTACKS, heapAfterGc, slowHttp1, zeroWindow } from "./support/hostile-clients.js";
import { ingress } from "./support/ingress.js";

const MiB = 1024 * 1024;
const ENHANCE_YOUR_CALM = 11;
const INTERNAL_ERROR = 2;

describe("HTTP/2 attacks next to a real Envoy", () => {
  const keeper = envoyForSuite("http2-attacks");
  const nodeId = "xdskit-attacks-envoy";
  const cache = createSnapshotCache({ ads: true });
  let xds: XdsServer;
  let listener: XdsListener;
  let upstreams: Upstream[] = [];
  let ingressPort = 0;
  let version = 1;

  const snapshot = (n: number) =>
    createSnapshot(`v${n}`, {
      [CLUSTER_TYPE_URL]: [staticCluster({ name: "app", endpoints: [{ host: "127.0.0.1", port: (upstreams[n % 2] as Upstream).port }] })],
      [LISTENER_TYPE_URL]: [ingress()],
    });

  beforeAll(async () => {
    upstreams = await Promise.all([0, 1].map((n) => startUpstream(`upstream-${n}`)));
    cache.setSnapshot(nodeId, snapshot(version));
    cache.setSnapshot("zero-window", snapshot(version));
    xds = createXdsServer(cache, { writeStallTimeoutMs: 1_000, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    listener = await xds.listen();
    await keeper.start(bootstrapFor({ mode: "ads", xdsPort: listener.port, nodeId }));
    keeper.ready();
    ingressPort = (await keeper.envoy.waitForListenerPorts(["ingress"])).ingress;
    await eventually("Envoy routes to upstream-1", async () => expect((await get(ingressPort, "/")).body).toBe("upstream-1 GET /"));
  });

  afterAll(async () => {
    await xds?.close();
    cache.close();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  });

  /** Runs `attack`, pushes a new version to Envoy meanwhile, and checks Envoy, the offender and the heap. */
  async function underAttack(name: string, attack: () => Promise<AttackOutcome>): Promise<AttackOutcome> {
    const heapBefore = heapAfterGc();
    const attacking = attack();
    version += 1;
    cache.setSnapshot(nodeId, snapshot(version));
    const expected = `upstream-${version % 2} GET /`;
    await eventually(`Envoy follows v${version} during the ${name}`, async () => expect((await get(ingressPort, "/")).body).toBe(expected));
    const outcome = await attacking;
    expect(xds.context.openStreams).toBe(1);
    const grownMiB = (heapAfterGc() - heapBefore) / MiB;
    console.log(
      `${name}: connection closed after ${outcome.closedAfterMs.toFixed(0)} ms (GOAWAY ${outcome.goawayCode ?? "none"}${outcome.goawayData === "" ? "" : ` ${outcome.goawayData}`}); Envoy followed v${version}; heap ${grownMiB >= 0 ? "+" : ""}${grownMiB.toFixed(2)} MiB`,
    );
    expect(grownMiB).toBeLessThan(4);
    return outcome;
  }

  it("rapid resets: nghttp2's GOAWAY INTERNAL_ERROR", async () => {
    const outcome = await underAttack("rapid reset", () => HTTP2_ATTACKS["rapid reset"](listener.port, ATTACKER));
    expect(outcome.goawayCode).toBe(INTERNAL_ERROR);
  });

  it("header floods: GOAWAY ENHANCE_YOUR_CALM too_many_refused_streams", async () => {
    const outcome = await underAttack("header flood", () => HTTP2_ATTACKS["header flood"](listener.port, ATTACKER));
    expect([outcome.goawayCode, outcome.goawayData]).toEqual([ENHANCE_YOUR_CALM, "too_many_refused_streams"]);
  });

  it("oversized headers: GOAWAY ENHANCE_YOUR_CALM too_many_refused_streams", async () => {
    const outcome = await underAttack("oversized headers", () => HTTP2_ATTACKS["oversized headers"](listener.port, ATTACKER));
    expect([outcome.goawayCode, outcome.goawayData]).toEqual([ENHANCE_YOUR_CALM, "too_many_refused_streams"]);
  });

  it("CONTINUATION floods: closed by nghttp2 with a GOAWAY", async () => {
    const outcome = await underAttack("CONTINUATION flood", () => HTTP2_ATTACKS["CONTINUATION flood"](listener.port, ATTACKER));
    expect(outcome.goawayCode).toBeDefined();
  });

  it("SETTINGS floods: GOAWAY ENHANCE_YOUR_CALM too_many_settings", async () => {
    const outcome = await underAttack("SETTINGS flood", () => HTTP2_ATTACKS["SETTINGS flood"](listener.port, ATTACKER));
    expect([outcome.goawayCode, outcome.goawayData]).toEqual([ENHANCE_YOUR_CALM, "too_many_settings"]);
  });

  it("PING floods: GOAWAY ENHANCE_YOUR_CALM too_many_pings", async () => {
    const outcome = await underAttack("PING flood", () => HTTP2_ATTACKS["PING flood"](listener.port, ATTACKER));
    expect([outcome.goawayCode, outcome.goawayData]).toEqual([ENHANCE_YOUR_CALM, "too_many_pings"]);
  });

  it("a zero window forever: GOAWAY ENHANCE_YOUR_CALM write_stalled after writeStallTimeoutMs", async () => {
    const request = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: "zero-window" }, typeUrl: CLUSTER_TYPE_URL }));
    const outcome = await underAttack("zero window", () => zeroWindow(listener.url, ATTACKER, request));
    expect([outcome.goawayCode, outcome.goawayData]).toEqual([ENHANCE_YOUR_CALM, "write_stalled"]);
  });

  it("a slow HTTP/1.1 client trickling headers: 408 and closed after headersTimeoutMs", async () => {
    let answer = "";
    const outcome = await underAttack("slow HTTP/1.1 client", async () => {
      const result = await slowHttp1(listener.port, ATTACKER);
      answer = result.answer;
      return result;
    });
    expect(answer).toBe("HTTP/1.1 408 Request Timeout");
    expect(outcome.closedAfterMs).toBeLessThan(1_000 + 2_000);
  });
});
