// Faults from the client side against an in-process server on 127.0.0.1: clients SIGKILLed in the
// middle of a large response, a client that never reads while the server pushes large updates,
// and 10,000 stream connect/disconnect cycles. After each: no watch left in the cache, no stream
// left open in the server, memory after GC back within a bound, other streams unaffected.
import { create, fromBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot } from "@xdskit/cache-snapshot";
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnFixture } from "./support/child.js";
import { check, eventually } from "./support/eventually.js";
import { startHarness, type Harness } from "./support/harness.js";
import { fmtMiB, MiB, memoryAfterGc } from "./support/heap.js";
import { ADS_PATH, closeSession, connect, DELTA_ADS_PATH, encode, FrameDecoder, grpcFrame, openStream } from "./support/raw-grpc.js";
import { churnSnapshot, paddedClusters } from "./support/resources.js";

const sotwRequest = (node: string, typeUrl: string, extra: Partial<{ versionInfo: string; responseNonce: string; resourceNames: string[] }> = {}) =>
  encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: node }, typeUrl, ...extra }));
const deltaRequest = (node: string, typeUrl: string, extra: Partial<{ responseNonce: string; resourceNamesSubscribe: string[] }> = {}) =>
  encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { node: { id: node }, typeUrl, ...extra }));

describe("client faults", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("clients SIGKILLed mid-response (SotW and delta): streams and watches are released, other streams unaffected", async () => {
    const BIG = "big-node";
    const WATCHER = "bystander";
    // ~2.4 MB per response: far past the 64 KiB HTTP/2 window, so the server is mid-write when the client stops reading.
    h.cache.setSnapshot(BIG, createSnapshot("1", { [CLUSTER_TYPE_URL]: paddedClusters(2_000, 1_200) }));
    h.cache.setSnapshot(WATCHER, createSnapshot("1", { [CLUSTER_TYPE_URL]: paddedClusters(3, 10) }));
    // A healthy bystander stream on its own connection, following every version.
    const session = await connect(h.url);
    const seen: string[] = [];
    const bystander = openStream(session, ADS_PATH, DiscoveryResponseSchema, {
      onMessage: (r) => {
        seen.push(r.versionInfo);
        bystander.send(sotwRequest(WATCHER, CLUSTER_TYPE_URL, { versionInfo: r.versionInfo, responseNonce: r.nonce }));
      },
    });
    bystander.send(sotwRequest(WATCHER, CLUSTER_TYPE_URL));
    await eventually("bystander gets v1", () => check(seen.includes("1"), `seen ${seen}`));
    const baseStreams = h.openStreams();

    const ROUNDS = 12;
    let killedAt = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const delta = round % 3 === 2;
      const path = delta ? DELTA_ADS_PATH : ADS_PATH;
      const request = grpcFrame(delta ? deltaRequest(BIG, CLUSTER_TYPE_URL, { resourceNamesSubscribe: ["*"] }) : sotwRequest(BIG, CLUSTER_TYPE_URL));
      // Kill at different points of the response: the first bytes, or somewhere further in.
      const minBytes = round % 2 === 0 ? 1 : 16_384 + round * 3_000;
      const child = spawnFixture("kill-client.mjs", [h.url, path, Buffer.from(request).toString("hex"), String(minBytes)]);
      const [, bytes] = await child.waitForLine(/^PARTIAL (\d+)/, 15_000);
      killedAt += Number(bytes);
      await eventually("the killed client's stream is open on the server", () => check(h.openStreams() === baseStreams + 1, `open ${h.openStreams()}`));
      await child.kill("SIGKILL");
      await eventually(`round ${round} (${delta ? "delta" : "SotW"}, ${bytes} bytes read): the server closes the killed client stream`, () => check(h.openStreams() === baseStreams, `open ${h.openStreams()}`), 10_000);
      await eventually("no watch left for the killed node", () => {
        const w = h.watches([BIG]);
        check(w.sotw === 0 && w.delta === 0, `watches ${JSON.stringify(w)}`);
      });
      // The bystander still follows updates.
      const version = String(round + 2);
      h.cache.setSnapshot(WATCHER, createSnapshot(version, { [CLUSTER_TYPE_URL]: paddedClusters(3, 10, version) }));
      await eventually(`bystander gets v${version}`, () => check(seen.at(-1) === version, `last ${seen.at(-1)}`));
    }
    console.log(`[client-faults] ${ROUNDS} clients SIGKILLed mid-response (${ROUNDS - Math.floor(ROUNDS / 3)} SotW, ${Math.floor(ROUNDS / 3)} delta), ${killedAt} bytes read before the kills in total`);
    // A new client on the big node still gets the whole response.
    const fresh = openStream(session, ADS_PATH, DiscoveryResponseSchema);
    fresh.send(sotwRequest(BIG, CLUSTER_TYPE_URL));
    const full = await fresh.next(20_000);
    expect(full?.resources.length).toBe(2_000);
    fresh.cancel();
    bystander.cancel();
    await closeSession(session);
    await eventually("every stream closed", () => check(h.openStreams() === 0, `open ${h.openStreams()}`));
    expect(h.watches([BIG, WATCHER])).toEqual({ sotw: 0, delta: 0 });
  });

  it("a client that never reads: server memory stays bounded and responses do not pile up; it catches up once it reads", async () => {
    const NODE = "stalled";
    const CLUSTERS = 500;
    const PAD = 2_000;
    const PUSHES = 40;
    const snapshotAt = (v: number) =>
      createSnapshot(String(v), { [CLUSTER_TYPE_URL]: paddedClusters(CLUSTERS, PAD, `v${v}-`), [LISTENER_TYPE_URL]: [] });
    h.cache.setSnapshot(NODE, snapshotAt(1));
    const session = await connect(h.url);
    const stalled = openStream(session, ADS_PATH, DiscoveryResponseSchema, { noRead: true });
    stalled.send(sotwRequest(NODE, CLUSTER_TYPE_URL));
    stalled.send(sotwRequest(NODE, LISTENER_TYPE_URL));
    await eventually("the server wrote the first response", () => check([...h.responsesByStream.values()].some((n) => n >= 1), "none yet"));
    // One response is about CLUSTERS × PAD bytes; measure after the first push has filled the pipes.
    h.cache.setSnapshot(NODE, snapshotAt(2));
    const responseBytes = CLUSTERS * PAD;
    const base = await memoryAfterGc();
    for (let v = 3; v <= PUSHES + 2; v++) h.cache.setSnapshot(NODE, snapshotAt(v));
    // Let the server do whatever it does with the pushes before measuring.
    await new Promise((r) => setTimeout(r, 200));
    const after = await memoryAfterGc();
    const written = Math.max(...h.responsesByStream.values());
    // What may legitimately be held: the current snapshot, one pending response per type (each may
    // pin an older snapshot), one response in the writer and one in the HTTP/2 buffers: 2 types.
    const TYPES = 2;
    const bound = (2 * TYPES + 3) * responseBytes + 4 * MiB;
    const growth = after - base;
    console.log(
      `[client-faults] never-reading client: ${PUSHES} pushes of ${fmtMiB(responseBytes)}; memory growth ${fmtMiB(growth)} (bound ${fmtMiB(bound)}, unbounded would be ≥ ${fmtMiB(PUSHES * responseBytes)}); responses handed to the transport ${written}`,
    );
    expect(growth).toBeLessThan(bound);
    // Responses are not queued per push: a handful were handed over, not one per push.
    expect(written).toBeLessThanOrEqual(TYPES + 3);
    // Once it reads, it catches up to the latest version.
    const seen: string[] = [];
    const decoder = new FrameDecoder();
    stalled.h2.on("data", (chunk: Buffer) => {
      for (const bytes of decoder.push(chunk)) {
        const r = fromBinary(DiscoveryResponseSchema, bytes);
        if (r.typeUrl === CLUSTER_TYPE_URL) {
          seen.push(r.versionInfo);
          stalled.send(sotwRequest(NODE, CLUSTER_TYPE_URL, { versionInfo: r.versionInfo, responseNonce: r.nonce }));
        }
      }
    });
    stalled.h2.resume();
    await eventually("the stalled client catches up", () => check(seen.at(-1) === String(PUSHES + 2), `seen ${seen.join(",")}`), 30_000);
    expect(seen.length).toBeLessThanOrEqual(TYPES + 4);
    stalled.cancel();
    await closeSession(session);
    await eventually("streams closed, watches gone", () => {
      check(h.openStreams() === 0, `open ${h.openStreams()}`);
      const w = h.watches([NODE]);
      check(w.sotw + w.delta === 0, JSON.stringify(w));
    });
  });

  it("10,000 stream connect/disconnect cycles (SotW/delta, cancel/half-close/connection drop): zero watches and streams left, memory back to baseline", async () => {
    const NODES = Array.from({ length: 20 }, (_, i) => `cycle-${i}`);
    for (const node of NODES) h.cache.setSnapshot(node, churnSnapshot(1));
    const CONNECTIONS = 4;
    const CONCURRENCY = 64;
    const sessions = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(h.url)));
    const kinds = new Map<string, number>();
    let dropped = 0;
    let serverGoaways = 0;
    const droppedByUs = new WeakSet<object>();
    const cycle = async (i: number): Promise<void> => {
      const slot = i % CONNECTIONS;
      let session = sessions[slot] as Awaited<ReturnType<typeof connect>>;
      if (session.closed || session.destroyed) {
        // Dropped by us, or by node's HTTP/2 server itself: its rapid-reset guard (nodejs/node#56306)
        // ends a session with GOAWAY INTERNAL_ERROR after about 1,000 client RST_STREAMs.
        if (!droppedByUs.has(session)) serverGoaways++;
        session = await connect(h.url);
        sessions[slot] = session;
      }
      const node = NODES[i % NODES.length] as string;
      const kind = i % 7;
      const delta = kind === 2 || kind === 3;
      const stream = delta ? openStream(session, DELTA_ADS_PATH, DeltaDiscoveryResponseSchema) : openStream(session, ADS_PATH, DiscoveryResponseSchema);
      const name = ["sotw-cancel", "sotw-half-close", "delta-cancel", "delta-half-close", "request-then-cancel", "no-request-cancel", "no-request-half-close"][kind] as string;
      kinds.set(name, (kinds.get(name) ?? 0) + 1);
      if (kind <= 4) {
        stream.send(delta ? deltaRequest(node, CLUSTER_TYPE_URL, { resourceNamesSubscribe: ["*"] }) : sotwRequest(node, CLUSTER_TYPE_URL));
        if (kind === 1) stream.send(sotwRequest(node, ENDPOINT_TYPE_URL, { resourceNames: ["c0", "c1"] }));
      }
      if (kind <= 3) await stream.next(10_000);
      if (kind === 0 || kind === 2 || kind === 4 || kind === 5) stream.cancel();
      else stream.halfClose();
      await stream.ended;
    };
    const run = async (from: number, count: number): Promise<void> => {
      let next = from;
      const worker = async () => {
        while (next < from + count) {
          const i = next++;
          // Every 1,000 cycles a whole connection drops with its streams in flight.
          if (i % 1_000 === 999) {
            dropped++;
            const victim = sessions[i % CONNECTIONS] as Awaited<ReturnType<typeof connect>>;
            droppedByUs.add(victim);
            victim.destroy();
          }
          await cycle(i);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    const settle = () =>
      eventually("no stream or watch left", () => {
        check(h.openStreams() === 0, `open streams ${h.openStreams()}`);
        const w = h.watches(NODES);
        check(w.sotw === 0 && w.delta === 0, `watches ${JSON.stringify(w)}`);
      });
    // Warm-up (JIT, pools), then the baseline.
    await run(0, 2_000);
    await settle();
    kinds.clear();
    dropped = 0;
    serverGoaways = 0;
    const base = await memoryAfterGc();
    const opened0 = h.streamsOpened();
    const t0 = performance.now();
    const CYCLES = Number(process.env["XDSKIT_CYCLES"] ?? 10_000);
    await run(2_000, CYCLES);
    const ms = performance.now() - t0;
    await settle();
    const after = await memoryAfterGc();
    for (const s of sessions) await closeSession(s);
    const growth = after - base;
    console.log(
      `[client-faults] ${CYCLES} connect/disconnect cycles over ${CONNECTIONS} connections (${CONCURRENCY} in flight) in ${(ms / 1000).toFixed(1)} s: ${JSON.stringify(Object.fromEntries(kinds))}, ${dropped} connection drops by the test, ${serverGoaways} sessions ended by node's rapid-reset guard; streams opened ${h.streamsOpened() - opened0}; memory after GC ${fmtMiB(growth)} vs baseline`,
    );
    // A stream reset before its headers were processed (or on a dropped connection) never opens.
    expect(h.streamsOpened() - opened0).toBeGreaterThan(CYCLES * 0.99);
    // 10,000 leaked streams of even 1 KiB each would be 10 MiB.
    expect(growth).toBeLessThan(6 * MiB);
  });
});
