// The connection guards of `listen` over real sockets: per-peer connection
// counts, keepalive PINGs that find a black-holed peer (through a relay of the
// test's own) and free its watches, GOAWAY ENHANCE_YOUR_CALM to a client that
// pings too often, and the maximum connection age (GOAWAY, then UNAVAILABLE
// after the grace period), spread by jitter.
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { queryObjects } from "node:v8";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { GrpcStatus } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { ackOf, ADS_PATH, clusterRequest, goneAway, OTHER_PEER, served, session, startRelay } from "./hostile.test-helper.js";
import { rawCall } from "./raw-grpc.test-helper.js";
import { cluster, type Harness, startServer, until } from "./test-fixtures.test-helper.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: Parameters<typeof startServer>[0]): Promise<Harness> {
  harness = await startServer(options);
  harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
  return harness;
}

describe("connection guards", () => {
  it("closes a peer's connection over maxConnectionsPerPeer as it arrives; another peer connects", async () => {
    const h = await start({ maxConnectionsPerPeer: 2 });
    const kept = await Promise.all([session(h.url), session(h.url)]);
    const port = Number(new URL(h.url).port);
    const third = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.1" });
    third.on("error", () => {});
    await once(third, "close");
    await served(h.url, { localAddress: OTHER_PEER });
    await served(h.url, { client: kept[0] });
    for (const client of kept) client.close();
  });

  it("takes Infinity for every guard (off) and serves", async () => {
    const off = Number.POSITIVE_INFINITY;
    const h = await start({
      maxConnectionsPerPeer: off,
      keepaliveIntervalMs: off,
      minClientPingIntervalMs: off,
      maxSettingsPerSecond: off,
      maxRefusedStreamsPerSecond: off,
      maxConnectionAgeMs: off,
      maxHeaderListBytes: off,
      headersTimeoutMs: off,
      requestTimeoutMs: off,
      unknownProtocolTimeoutMs: off,
      firstRequestTimeoutMs: off,
      maxStreamsPerPeer: off,
      maxUnidentifiedStreamsPerPeer: off,
      writeStallTimeoutMs: off,
    });
    await served(h.url);
  });

  it("finds a black-holed peer with keepalive PINGs and frees its watches within the timeout", async () => {
    const h = await start({ keepaliveIntervalMs: 200, keepaliveTimeoutMs: 300 });
    const before = h.cache.watchCount;
    const relay = await startRelay(Number(new URL(h.url).port));
    try {
      const client = await session(relay.url);
      const call = rawCall("", ADS_PATH, { session: client });
      call.send(clusterRequest());
      await until(() => call.messages.length > 0);
      call.send(ackOf(call.messages[0] as Buffer));
      await until(() => h.cache.watchCount === before + 1);
      relay.blackHole();
      const holed = performance.now();
      await until(() => h.cache.watchCount === before && h.server.context.openStreams === 0, 5_000);
      const noticedMs = performance.now() - holed;
      console.log(`dead peer noticed and its watch freed ${noticedMs.toFixed(0)} ms after the black hole (interval 200 + timeout 300)`);
      expect(noticedMs).toBeLessThan(200 + 300 + 1_000);
      client.destroy();
    } finally {
      await relay.close();
    }
  });

  it("counts no PING strike after data the server sent (grpc-go's BDP PINGs during a large response)", async () => {
    const h = await start({ minClientPingIntervalMs: 10_000, maxPingStrikes: 2 });
    // ~400 KB: many DATA frames, each answered by a PING as grpc-go's bandwidth estimator does.
    h.cache.set(CLUSTER_TYPE_URL, "v2", Array.from({ length: 400 }, (_, i) => cluster(`c-${i}-${"x".repeat(1000)}`)));
    const client = await session(h.url);
    let goaway: number | undefined;
    client.on("goaway", (code: number) => {
      goaway = code;
    });
    const call = rawCall("", ADS_PATH, { session: client });
    // One PING at a time, sent when data arrives and none is outstanding (grpc-go's BDP estimator).
    let pings = 0;
    let outstanding = false;
    call.stream.on("data", () => {
      if (outstanding) return;
      outstanding = true;
      pings += 1;
      client.ping(Buffer.alloc(8), () => {
        outstanding = false;
      });
    });
    call.send(clusterRequest());
    await until(() => call.messages.length > 0, 10_000);
    expect(pings).toBeGreaterThan(4);
    // Still served on the same connection, and never sent away.
    await served(h.url, { client });
    expect(goaway).toBeUndefined();
    expect(client.destroyed).toBe(false);
    client.close();
  });

  it("keeps no Timeout per keepalive PING over a connection's life", async () => {
    const h = await start({ keepaliveIntervalMs: 5, keepaliveTimeoutMs: 10_000 });
    const client = await session(h.url);
    let pings = 0;
    client.on("ping", () => {
      pings += 1;
    });
    const Timeout = setTimeout(() => {}, 0).constructor as new () => unknown;
    await until(() => pings >= 5, 10_000);
    // queryObjects collects garbage first: what it counts is still referenced.
    const before = queryObjects(Timeout, { format: "count" });
    await until(() => pings >= 205, 30_000);
    const after = queryObjects(Timeout, { format: "count" });
    // One Timeout kept per PING would be 200 more.
    expect(after - before).toBeLessThan(50);
    client.close();
  });

  it("says GOAWAY ENHANCE_YOUR_CALM to a client that pings too often; other clients are served", async () => {
    const h = await start({ minClientPingIntervalMs: 1_000, maxPingStrikes: 2 });
    const pinger = await session(h.url);
    const gone = goneAway(pinger);
    for (let i = 0; i < 4; i += 1) pinger.ping(Buffer.alloc(8), () => {});
    const goaway = await gone;
    expect(goaway.code).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(goaway.data).toBe("too_many_pings");
    // Pings at the allowed pace keep the connection.
    const polite = await session(h.url);
    polite.ping(Buffer.alloc(8), () => {});
    await served(h.url, { client: polite });
    expect(polite.destroyed).toBe(false);
    polite.close();
  });

  it("forgives a client's PINGs that follow responses (grpc-go's bandwidth pings), as grpc-go does", async () => {
    const h = await start({ minClientPingIntervalMs: 60_000, maxPingStrikes: 2 });
    const client = await session(h.url);
    const call = rawCall("", ADS_PATH, { session: client });
    call.send(clusterRequest());
    for (let i = 1; i <= 6; i += 1) {
      await until(() => call.messages.length === i);
      call.send(ackOf(call.messages[i - 1] as Buffer));
      await new Promise<void>((resolve) => client.ping(Buffer.alloc(8), () => resolve()));
      h.cache.set(CLUSTER_TYPE_URL, `v${i + 1}`, [cluster("a", i + 1)]);
    }
    await until(() => call.messages.length === 7);
    expect(client.destroyed).toBe(false);
    client.close();
  });

  it("ages connections out: GOAWAY, then UNAVAILABLE after the grace period, spread by jitter", async () => {
    const ageMs = 400;
    const h = await start({ maxConnectionAgeMs: ageMs, connectionAgeGraceMs: 200, connectionAgeJitter: 0.5 });
    const clients = await Promise.all(Array.from({ length: 20 }, () => session(h.url)));
    const connectedAt = performance.now();
    const goaways: number[] = [];
    const ends = clients.map(async (client) => {
      client.once("goaway", () => goaways.push(performance.now() - connectedAt));
      const call = rawCall("", ADS_PATH, { session: client });
      call.send(clusterRequest());
      return call.status;
    });
    const statuses = await Promise.all(ends);
    for (const status of statuses) {
      expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
      expect(status.message).toContain("maximum age (maxConnectionAgeMs)");
    }
    expect(goaways.length).toBe(20);
    const spread = Math.max(...goaways) - Math.min(...goaways);
    console.log(`GOAWAY at ${Math.min(...goaways).toFixed(0)}–${Math.max(...goaways).toFixed(0)} ms (spread ${spread.toFixed(0)} ms) for max age ${ageMs} ms ±50 %`);
    expect(Math.min(...goaways)).toBeGreaterThanOrEqual(ageMs * 0.5 - 50);
    expect(spread).toBeGreaterThan(ageMs * 0.2);
    await until(() => h.server.context.openStreams === 0);
    for (const client of clients) client.destroy();
  });
});
