// The stream guards over real sockets on every serving path: a stream that
// sends no first request ends with DEADLINE_EXCEEDED and gives its place back;
// a peer's silent streams run into a smaller budget than its identified ones;
// another peer is served meanwhile; a proxy's per-type streams fit the defaults.
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { GrpcStatus } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { ADS_PATH, CDS_PATH, clusterRequest, OTHER_PEER, served, session, silentStreams } from "./hostile.test-helper.js";
import { rawCall } from "./raw-grpc.test-helper.js";
import { cluster, endpoints, type Harness, listener, route, SERVING, startServer, until } from "./test-fixtures.test-helper.js";

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

describe.each(SERVING)("first-request deadline, $name", ({ serve }) => {
  it("ends silent streams with DEADLINE_EXCEEDED and a reason, frees their places, and serves the rest", async () => {
    const h = await start({ ...serve, firstRequestTimeoutMs: 300 });
    const client = await session(h.url);
    const opened = performance.now();
    const calls = silentStreams(client, 20);
    await until(() => h.server.context.openStreams === 20);
    await served(h.url);
    const statuses = await Promise.all(calls.map((call) => call.status));
    const tookMs = performance.now() - opened;
    for (const status of statuses) {
      expect(status.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(status.message).toContain("no first request within 300 ms");
      expect(status.message).toContain("firstRequestTimeoutMs");
    }
    expect(tookMs).toBeLessThan(300 + 2_000);
    await until(() => h.server.context.openStreams === 0);
    expect(h.cache.watchCount).toBe(0);
    client.close();
  });
});

describe("per-peer stream budgets", () => {
  it("refuses a peer's silent streams over maxUnidentifiedStreamsPerPeer, not its identified ones, nor another peer", async () => {
    const h = await start({ maxUnidentifiedStreamsPerPeer: 5, firstRequestTimeoutMs: 60_000 });
    const attacker = await session(h.url);
    // Identified streams of the same peer do not use the silent budget.
    const identified = Array.from({ length: 5 }, () => rawCall("", ADS_PATH, { session: attacker }));
    for (const call of identified) call.send(clusterRequest());
    await until(() => identified.every((call) => call.messages.length > 0));
    const silent = silentStreams(attacker, 5);
    await until(() => h.server.context.openStreams === 10);
    const refused = silentStreams(attacker, 1)[0];
    const status = await refused?.status;
    expect(status?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(status?.message).toContain("maxUnidentifiedStreamsPerPeer");
    // Another peer has its own budget.
    await served(h.url, { localAddress: OTHER_PEER });
    expect(silent.length).toBe(5);
    attacker.close();
  });

  it("refuses a peer's streams over maxStreamsPerPeer while another peer is served", async () => {
    const h = await start({ maxStreamsPerPeer: 3 });
    const peer = await session(h.url);
    const calls = Array.from({ length: 3 }, () => rawCall("", ADS_PATH, { session: peer }));
    for (const call of calls) call.send(clusterRequest());
    await until(() => calls.every((call) => call.messages.length > 0));
    await expect(served(h.url)).rejects.toThrow(/maxStreamsPerPeer/);
    await served(h.url, { localAddress: OTHER_PEER });
    calls[0]?.stream.close();
    await until(() => h.server.context.openStreams === 2);
    await served(h.url);
    peer.close();
  });

  it("serves a proxy's one stream per type (non-ADS) and many proxies on one address on the defaults", async () => {
    const h = await start({});
    h.cache.set(ENDPOINT_TYPE_URL, "v1", [endpoints("a")]);
    h.cache.set(LISTENER_TYPE_URL, "v1", [listener("l")]);
    h.cache.set(ROUTE_TYPE_URL, "v1", [route("r")]);
    const clients = await Promise.all(Array.from({ length: 50 }, () => session(h.url)));
    // 50 proxies × 4 per-type streams, all opened before any sends its request.
    const calls = clients.flatMap((client) => Array.from({ length: 4 }, () => rawCall("", CDS_PATH, { session: client })));
    for (const call of calls) call.send(clusterRequest());
    await until(() => calls.every((call) => call.messages.length > 0), 10_000);
    for (const client of clients) client.close();
  });
});
