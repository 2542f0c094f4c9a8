// Maximum connection age through a real Envoy: one server with a short max age (3 s, grace 1 s,
// jitter ±30 %), 100 xDS clients (each on its own connection) and a real Envoy routing traffic.
// Every connection gets GOAWAY then its stream ends with UNAVAILABLE; every client reconnects and
// re-converges (on an update pushed meanwhile too), Envoy reconnects and keeps routing with no failed
// request, and the jitter spreads the reconnects (the spread is printed).
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { staticCluster } from "@xdskit/resource-builders";
import { createXdsServer, type XdsListener, type XdsServer } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { ingress } from "./support/ingress.js";

const CLIENTS = 100;
const AGE_MS = 3_000;
const GRACE_MS = 1_000;
const JITTER = 0.3;

interface AgedClient {
  /** When each of its streams opened and ended (UNAVAILABLE), in ms since the test began. */
  readonly connectedAt: number[];
  readonly endedAt: number[];
  readonly endings: string[];
  version: string;
  current: XdsClient | undefined;
  stopped: boolean;
}

describe("maximum connection age: 100 clients and a real Envoy", () => {
  const keeper = envoyForSuite("connection-age");
  const nodeId = "xdskit-age-envoy";
  const cache = createSnapshotCache({ ads: true });
  const clients: AgedClient[] = [];
  let xds: XdsServer;
  let listener: XdsListener;
  let upstream: Upstream;
  let envoyStreams = 0;
  const began = performance.now();
  const now = () => performance.now() - began;

  const snapshot = (version: string) =>
    createSnapshot(version, {
      [CLUSTER_TYPE_URL]: [staticCluster({ name: "app", endpoints: [{ host: "127.0.0.1", port: upstream.port }] })],
      [LISTENER_TYPE_URL]: [ingress()],
    });

  // One client: an ADS stream that subscribes to clusters; when the stream ends, a new one on the same transport.
  async function run(index: number, client: AgedClient): Promise<void> {
    const transport = createGrpcTransport({ baseUrl: listener.url });
    while (!client.stopped) {
      const xdsClient = createXdsClient({ transport, node: { id: `client-${index}` } });
      client.current = xdsClient;
      client.connectedAt.push(now());
      xdsClient.subscribe(CLUSTER_TYPE_URL);
      const watching = (async () => {
        for (;;) {
          const response = await xdsClient.next(CLUSTER_TYPE_URL, 60_000);
          client.version = response.version;
        }
      })().catch(() => undefined);
      const ended = await xdsClient.ended;
      await watching;
      if (client.stopped) break;
      client.endedAt.push(now());
      client.endings.push(ended === undefined ? "clean end" : `${ended.code} ${ended.rawMessage}`);
    }
  }

  beforeAll(async () => {
    upstream = await startUpstream("upstream-1");
    cache.setSnapshot(nodeId, snapshot("v1"));
    for (let i = 0; i < CLIENTS; i += 1) cache.setSnapshot(`client-${i}`, snapshot("v1"));
    xds = createXdsServer(cache, {
      maxConnectionAgeMs: AGE_MS,
      connectionAgeGraceMs: GRACE_MS,
      connectionAgeJitter: JITTER,
      callbacks: {
        onStreamRequest: (stream) => {
          if (stream.node?.id === nodeId) envoyStreams = Math.max(envoyStreams, stream.id);
        },
      },
    });
    listener = await xds.listen();
  });

  afterAll(async () => {
    for (const client of clients) {
      client.stopped = true;
      client.current?.close();
    }
    await xds?.close();
    cache.close();
    await upstream?.close();
  });

  it("ages every connection out; every client and Envoy reconnect and re-converge with no failed request", async () => {
    await keeper.start(bootstrapFor({ mode: "ads", xdsPort: listener.port, nodeId }));
    keeper.ready();
    const port = (await keeper.envoy.waitForListenerPorts(["ingress"])).ingress;
    await eventually("Envoy routes", async () => expect((await get(port, "/")).body).toBe("upstream-1 GET /"));
    const envoyFirstStream = envoyStreams;

    for (let i = 0; i < CLIENTS; i += 1) {
      const client: AgedClient = { connectedAt: [], endedAt: [], endings: [], version: "", current: undefined, stopped: false };
      clients.push(client);
      void run(i, client);
    }
    // Traffic through Envoy the whole time: not one request may fail.
    let requests = 0;
    const failures: string[] = [];
    let trafficOn = true;
    const traffic = (async () => {
      while (trafficOn) {
        try {
          const answer = await get(port, "/");
          if (answer.body !== "upstream-1 GET /") failures.push(`${answer.status} ${answer.body}`);
        } catch (error) {
          failures.push(String(error));
        }
        requests += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await eventually("every client converged on v1", () => expect(clients.every((c) => c.version === "v1")).toBe(true));
    const deadlineMs = AGE_MS * (1 + JITTER) + GRACE_MS + 5_000;
    await eventually("every client's first connection aged out and it reconnected", () => expect(clients.every((c) => c.connectedAt.length >= 2)).toBe(true), {
      timeoutMs: deadlineMs,
    });
    for (let i = 0; i < CLIENTS; i += 1) cache.setSnapshot(`client-${i}`, snapshot("v2"));
    await eventually("every client re-converged on v2", () => expect(clients.every((c) => c.version === "v2")).toBe(true));
    await eventually("Envoy reconnected", () => expect(envoyStreams).toBeGreaterThan(envoyFirstStream), { timeoutMs: deadlineMs });
    trafficOn = false;
    await traffic;

    // The first connection of each client: how long it lived, and when its reconnect came.
    const lifetimes = clients.map((c) => (c.endedAt[0] as number) - (c.connectedAt[0] as number));
    const reconnects = clients.map((c) => c.connectedAt[1] as number);
    const spread = Math.max(...reconnects) - Math.min(...reconnects);
    const sorted = [...lifetimes].sort((a, b) => a - b);
    console.log(
      `connection age ${AGE_MS} ms ±${JITTER * 100} %, grace ${GRACE_MS} ms: first streams lived ${sorted[0]?.toFixed(0)}–${sorted[sorted.length - 1]?.toFixed(0)} ms (median ${sorted[50]?.toFixed(0)}); reconnects spread over ${spread.toFixed(0)} ms; ${requests} requests through Envoy, ${failures.length} failed`,
    );
    expect(clients.every((c) => c.endings[0]?.startsWith("14 ") && c.endings[0].includes("maximum age"))).toBe(true);
    expect(failures).toEqual([]);
    // Lived at least the shortest jittered age plus the grace, and the jitter spread the reconnects.
    expect(sorted[0]).toBeGreaterThanOrEqual(AGE_MS * (1 - JITTER) + GRACE_MS - 100);
    expect(spread).toBeGreaterThan(AGE_MS * JITTER * 0.5);
  });
});
