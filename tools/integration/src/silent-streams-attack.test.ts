// The attack of issue 16, on the server's defaults: 10 HTTP/2 connections from one peer, each
// opening 1,000 ADS streams that never send a request. A real Envoy connecting during it converges
// and routes traffic, a second legitimate client is served, and every silent stream is gone within
// the first-request deadline (5 s): the peer never holds more than 1,000 (maxUnidentifiedStreamsPerPeer),
// each held one ends with DEADLINE_EXCEEDED 5 s after it opened, the others are refused at once with
// RESOURCE_EXHAUSTED (while the server works through the 10,000, a refused one may find a place
// freed by an expired one: the peer's 1,000 are then held again, never more). The attacker binds
// 127.0.0.2 (another peer on this host); Envoy and the client connect from 127.0.0.1.
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { createXdsClient } from "@xdskit/client";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { staticCluster } from "@xdskit/resource-builders";
import { createXdsServer, type XdsListener, type XdsServer } from "@xdskit/server";
import { GrpcStatus } from "@xdskit/server-core";
import type * as http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { ATTACKER, type SilentStream, session, silentStream } from "./support/hostile-clients.js";
import { ingress } from "./support/ingress.js";

describe("10 connections × 1,000 silent ADS streams, on the defaults", () => {
  const keeper = envoyForSuite("silent-streams-attack");
  const nodeId = "xdskit-hostile-envoy";
  const cache = createSnapshotCache({ ads: true });
  let xds: XdsServer;
  let listener: XdsListener;
  let upstream: Upstream;
  let attackers: http2.ClientHttp2Session[] = [];
  let silent: SilentStream[] = [];
  let attackStartedAt = 0;
  // At Envoy's first request: streams open on the server, the attacker's silent ones among them, and when.
  let openAtEnvoyRequest = -1;
  let heldAtEnvoyRequest = -1;
  let envoyRequestAfterMs = -1;
  // Server side: streams that sent no request, when each opened, how long each lived, the most at once.
  const silentOpenedAt = new Map<number, number>();
  const silentLifetimes: number[] = [];
  let silentPeak = 0;

  beforeAll(async () => {
    upstream = await startUpstream("upstream-1");
    const resources = { [CLUSTER_TYPE_URL]: [staticCluster({ name: "app", endpoints: [{ host: "127.0.0.1", port: upstream.port }] })], [LISTENER_TYPE_URL]: [ingress()] };
    cache.setSnapshot(nodeId, createSnapshot("v1", resources));
    cache.setSnapshot("client-2", createSnapshot("v1", resources));
    xds = createXdsServer(cache, {
      callbacks: {
        onStreamOpen: (stream) => {
          silentOpenedAt.set(stream.id, performance.now());
          silentPeak = Math.max(silentPeak, silentOpenedAt.size);
        },
        onStreamRequest: (stream) => {
          silentOpenedAt.delete(stream.id);
          if (stream.node?.id === nodeId && openAtEnvoyRequest < 0) {
            openAtEnvoyRequest = xds.context.openStreams;
            heldAtEnvoyRequest = silentOpenedAt.size;
            envoyRequestAfterMs = performance.now() - attackStartedAt;
          }
        },
        onStreamClosed: (stream) => {
          const openedAt = silentOpenedAt.get(stream.id);
          if (openedAt === undefined) return;
          silentOpenedAt.delete(stream.id);
          silentLifetimes.push(performance.now() - openedAt);
        },
      },
    });
    listener = await xds.listen();
  });

  afterAll(async () => {
    for (const attacker of attackers) attacker.destroy();
    await xds?.close();
    cache.close();
    await upstream?.close();
  });

  it("holds the attacker's silent budget (1,000) and refuses the streams over it at once", async () => {
    attackers = await Promise.all(Array.from({ length: 10 }, () => session(listener.url, { localAddress: ATTACKER })));
    attackStartedAt = performance.now();
    silent = attackers.flatMap((attacker) => Array.from({ length: 1_000 }, () => silentStream(attacker)));
    let refused = 0;
    for (const stream of silent) {
      void stream.status.then((status) => {
        if (status.code === GrpcStatus.RESOURCE_EXHAUSTED) refused += 1;
      });
    }
    await eventually("1,000 held, others refused", () => {
      expect(xds.context.openStreams).toBe(1_000);
      expect(refused).toBeGreaterThan(0);
    });
    console.log(`attack: 1,000 silent streams held and ${refused} refused ${(performance.now() - attackStartedAt).toFixed(0)} ms after it began`);
  });

  it("lets a real Envoy connecting during the attack converge and route traffic", async () => {
    await keeper.start(bootstrapFor({ mode: "ads", xdsPort: listener.port, nodeId }));
    keeper.ready();
    const ports = await keeper.envoy.waitForListenerPorts(["ingress"]);
    await eventually("traffic reaches upstream-1 through Envoy", async () => expect((await get(ports.ingress, "/hello")).body).toBe("upstream-1 GET /hello"));
    // Envoy's first request came while the attacker's silent streams were held: all 1,000 of its
    // budget when it came before the first of them could reach its 5 s deadline (none can end
    // sooner). On a loaded machine the server may read it later, while they expire and the refused
    // ones take the places freed: some are held still (the last end ~7–12 s after the attack began).
    if (envoyRequestAfterMs < 5_000) expect(openAtEnvoyRequest).toBeGreaterThanOrEqual(1_000);
    else expect(heldAtEnvoyRequest).toBeGreaterThan(0);
    console.log(
      `Envoy converged ${(performance.now() - attackStartedAt).toFixed(0)} ms after the attack began (its first request at ${envoyRequestAfterMs.toFixed(0)} ms: ${openAtEnvoyRequest} streams open, ${heldAtEnvoyRequest} of them the attacker's)`,
    );
  });

  it("serves a second legitimate client during the attack", async () => {
    const client = createXdsClient({ transport: createGrpcTransport({ baseUrl: listener.url }), node: { id: "client-2" } });
    try {
      client.subscribe(CLUSTER_TYPE_URL);
      const response = await client.next(CLUSTER_TYPE_URL, 10_000);
      expect(response.resources.map((r) => r.name)).toEqual(["app"]);
    } finally {
      client.close();
    }
  });

  it("ends every silent stream within the first-request deadline, with a status saying why", async () => {
    const statuses = await Promise.all(silent.map((stream) => stream.status));
    const byCode = new Map<number, number>();
    for (const status of statuses) byCode.set(status.code, (byCode.get(status.code) ?? 0) + 1);
    const expired = byCode.get(GrpcStatus.DEADLINE_EXCEEDED) ?? 0;
    const refused = byCode.get(GrpcStatus.RESOURCE_EXHAUSTED) ?? 0;
    expect(expired + refused).toBe(10_000);
    expect(expired).toBeGreaterThanOrEqual(1_000);
    expect(statuses.find((status) => status.code === GrpcStatus.DEADLINE_EXCEEDED)?.message).toContain("(firstRequestTimeoutMs)");
    expect(statuses.find((status) => status.code === GrpcStatus.RESOURCE_EXHAUSTED)?.message).toContain("(maxUnidentifiedStreamsPerPeer)");
    expect(silentPeak).toBeLessThanOrEqual(1_000 + 1);
    expect(silentLifetimes.length).toBe(expired);
    const longest = Math.max(...silentLifetimes);
    const lastEndMs = Math.max(...statuses.map((status) => status.at)) - attackStartedAt;
    console.log(
      `silent streams: ${expired} ended DEADLINE_EXCEEDED (lived ${Math.min(...silentLifetimes).toFixed(0)}–${longest.toFixed(0)} ms), ${refused} refused RESOURCE_EXHAUSTED; at most ${silentPeak} open at once; the last ended ${lastEndMs.toFixed(0)} ms after the attack began`,
    );
    // The deadline timers fire on an event loop busy with the 10,000-stream burst: late by up to ~1 s here (2 shared cores).
    expect(longest).toBeLessThan(5_000 + 2_000);
    await eventually("only Envoy's stream is left", () => expect(xds.context.openStreams).toBe(1));
  });
});
