// The soak: a control plane (snapshot cache for CDS/LDS/RDS, linear cache for EDS, behind a mux)
// serving N raw-HTTP/2 ADS clients (SotW and delta mixed) while churn and faults run at random:
// setSnapshot and linear updates, stream cancels and half-closes, dropped connections, garbage
// frames, client processes SIGKILLed mid-response, and every few minutes a SIGKILL + restart of a
// separate control-plane process that a reconnecting client follows. Quiet periods check the
// invariants: every client converges on the current versions, watch counts are exactly what the
// live clients need, open streams equal live clients, memory after GC stays within a bound; no
// client ever sees a version go backwards. `SOAK_SECONDS` (default 1800) sets the duration.
import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { createMuxCache } from "@xdskit/cache-mux";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { clusterLoadAssignment } from "@xdskit/resource-builders";
import { createXdsServer, DEFAULT_MAX_MESSAGE_BYTES } from "@xdskit/server";
import type { ClientHttp2Session } from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { type Child, spawnFixture } from "./support/child.js";
import { eventually, check } from "./support/eventually.js";
import { fmtMiB, MiB, memoryAfterGc } from "./support/heap.js";
import { ADS_PATH, closeSession, connect, DELTA_ADS_PATH, encode, grpcFrame, openStream, type RawStream } from "./support/raw-grpc.js";
import { churnSnapshot, paddedClusters } from "./support/resources.js";

export interface SoakOptions {
  readonly seconds: number;
  /** ADS clients kept alive (restarted after each fault). Default 48. */
  readonly clients?: number;
  /** SIGKILL + restart of the separate control-plane process this often. Default: 180 s, or half the run if shorter. */
  readonly restartEverySeconds?: number;
  /** A quiet period with invariant checks this often. Default: 60 s, or a quarter of the run if shorter. */
  readonly checkEverySeconds?: number;
  /** Memory after GC may grow this much over the first check. Default 48 MiB. */
  readonly memoryBoundBytes?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface SoakSummary {
  readonly seconds: number;
  readonly seed: number;
  /** How often each kind of churn and fault ran. */
  readonly counts: Record<string, number>;
  /** Invariant checks passed (quiet periods). */
  readonly checks: number;
  readonly responses: number;
  readonly memoryGrowthBytes: number;
  readonly violations: string[];
}

const NODE_GROUPS = ["soak-a", "soak-b", "soak-c", "soak-d"];
const BIG_NODE = "soak-big";
const EDS_NAMES = ["c0", "c1", "c2"];
const CONNECTIONS = 4;

/** A small seeded PRNG (mulberry32): a soak run is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Agent {
  readonly id: number;
  readonly protocol: "sotw" | "delta";
  readonly node: string;
  stream: RawStream<unknown> | undefined;
  /** Highest version seen per type (numeric), across reconnects. */
  readonly last: Map<string, number>;
  restarting: boolean;
}

export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const seconds = o.seconds;
  const restartEvery = o.restartEverySeconds ?? Math.min(180, seconds / 2);
  const checkEvery = o.checkEverySeconds ?? Math.min(60, seconds / 4);
  const memoryBound = o.memoryBoundBytes ?? 48 * MiB;
  const counts: Record<string, number> = {};
  const count = (k: string, n = 1) => {
    counts[k] = (counts[k] ?? 0) + n;
  };
  const violations: string[] = [];
  const violate = (v: string) => {
    if (violations.length < 50) violations.push(v);
    log(`VIOLATION ${v}`);
  };

  // The control plane under test.
  const snapshots = createSnapshotCache();
  const endpoints = createLinearCache({ schema: ClusterLoadAssignmentSchema });
  const cache = createMuxCache({ caches: { [CLUSTER_TYPE_URL]: snapshots, [LISTENER_TYPE_URL]: snapshots, [ROUTE_TYPE_URL]: snapshots, [ENDPOINT_TYPE_URL]: endpoints } });
  let openStreams = 0;
  let responses = 0;
  const server = createXdsServer(cache, {
    callbacks: {
      onStreamOpen: () => void openStreams++,
      onDeltaStreamOpen: () => void openStreams++,
      onStreamClosed: () => void openStreams--,
      onDeltaStreamClosed: () => void openStreams--,
    },
  });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  let version = 1;
  let edsCounter = 0;
  const setAll = () => {
    for (const node of NODE_GROUPS) snapshots.setSnapshot(node, churnSnapshot(version));
  };
  setAll();
  const endpointAt = (name: string) => clusterLoadAssignment({ clusterName: name, endpoints: [{ host: "127.0.0.1", port: 10_000 + (edsCounter++ % 50_000) }] });
  endpoints.setResources(EDS_NAMES.map(endpointAt));
  snapshots.setSnapshot(BIG_NODE, createSnapshot("1", { [CLUSTER_TYPE_URL]: paddedClusters(1_500, 1_000) }));

  // Clients.
  const sessions: (ClientHttp2Session | undefined)[] = Array.from({ length: CONNECTIONS }, () => undefined);
  const sessionFor = async (slot: number): Promise<ClientHttp2Session> => {
    const s = sessions[slot];
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const fresh = await connect(listener.url);
    sessions[slot] = fresh;
    return fresh;
  };
  let stopping = false;
  const agents: Agent[] = Array.from({ length: o.clients ?? 48 }, (_, id) => ({
    id,
    protocol: id % 3 === 2 ? "delta" : "sotw",
    node: NODE_GROUPS[id % NODE_GROUPS.length] as string,
    stream: undefined,
    last: new Map(),
    restarting: false,
  }));
  const record = (a: Agent, typeUrl: string, v: string) => {
    responses++;
    if (v === "") return;
    const n = Number(v);
    const prev = a.last.get(typeUrl) ?? 0;
    if (!(n >= prev)) violate(`client ${a.id} (${a.protocol}) saw ${typeUrl.split(".").at(-1)} go from ${prev} back to ${v}`);
    a.last.set(typeUrl, Math.max(prev, n));
  };
  const startAgent = async (a: Agent): Promise<void> => {
    const session = await sessionFor(a.id % CONNECTIONS);
    const node = { id: a.node };
    let stream: RawStream<unknown>;
    if (a.protocol === "delta") {
      stream = openStream(session, DELTA_ADS_PATH, DeltaDiscoveryResponseSchema, {
        onMessage: (r) => {
          record(a, r.typeUrl, r.systemVersionInfo);
          stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { typeUrl: r.typeUrl, responseNonce: r.nonce })));
        },
      });
      stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { node, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["*"] })));
      stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: EDS_NAMES })));
    } else {
      const names: Record<string, string[]> = { [CLUSTER_TYPE_URL]: [], [LISTENER_TYPE_URL]: [], [ENDPOINT_TYPE_URL]: EDS_NAMES };
      stream = openStream(session, ADS_PATH, DiscoveryResponseSchema, {
        onMessage: (r) => {
          record(a, r.typeUrl, r.versionInfo);
          stream.send(
            encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: names[r.typeUrl] ?? [] })),
          );
        },
      });
      let first = true;
      for (const [typeUrl, resourceNames] of Object.entries(names)) {
        stream.send(encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { ...(first ? { node } : {}), typeUrl, resourceNames })));
        first = false;
      }
    }
    a.stream = stream;
    // Whatever ends the stream (a fault, the server), the client comes back, as Envoy would.
    stream.ended.then(() => {
      if (a.stream !== stream) return;
      a.stream = undefined;
      if (!stopping) restartSoon(a);
    });
  };
  const restartSoon = (a: Agent) => {
    if (a.restarting) return;
    a.restarting = true;
    setTimeout(() => {
      a.restarting = false;
      if (!stopping && a.stream === undefined) startAgent(a).catch(() => restartSoon(a));
    }, 20 + random() * 200);
  };
  for (const a of agents) await startAgent(a);

  // The separate control-plane process and a client that follows it across restarts.
  // Each incarnation binds port 0 and says which port it got; the follower dials the latest.
  // No Envoy follows it: the upstream in its snapshot is never dialled.
  let cpVersion = 1;
  let cp: Child | undefined;
  let cpUrl = "";
  const startCp = async () => {
    cp = spawnFixture("cp-process.ts", [JSON.stringify({ nodeId: "soak-follower", version: `v${cpVersion}`, upstreamPort: 10_000 })]);
    const [, port] = await cp.waitForLine(/^READY (\d+)/);
    cpUrl = `http://127.0.0.1:${port}`;
  };
  await startCp();
  let followerVersion = "";
  let followerSession: ClientHttp2Session | undefined;
  const follow = async (): Promise<void> => {
    while (!stopping) {
      try {
        followerSession = await connect(cpUrl);
        const session = followerSession;
        const s: RawStream<unknown> = openStream(session, ADS_PATH, DiscoveryResponseSchema, {
          onMessage: (r) => {
            if (r.typeUrl === CLUSTER_TYPE_URL) followerVersion = r.versionInfo;
            s.send(encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce })));
          },
        });
        s.send(encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: "soak-follower" }, typeUrl: CLUSTER_TYPE_URL })));
        await s.ended;
        session.destroy();
        count("follower reconnects");
      } catch {
        // the control plane is down: retry
      }
      await sleep(200);
    }
  };
  const following = follow();

  // Faults that need their own bookkeeping.
  const garbage = async () => {
    const session = await sessionFor(Math.floor(random() * CONNECTIONS));
    const delta = random() < 0.5;
    const s = delta ? openStream(session, DELTA_ADS_PATH, DeltaDiscoveryResponseSchema) : openStream(session, ADS_PATH, DiscoveryResponseSchema);
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    const framed = random() < 0.5;
    s.sendRaw(framed ? grpcFrame(bytes) : bytes);
    s.halfClose();
    const end = await s.ended;
    const flagged = (framed ? 0 : (bytes[0] ?? 0)) !== 0;
    // Unframed random bytes read as a length prefix can promise more than the message limit: RESOURCE_EXHAUSTED.
    const declared = !framed && bytes.length >= 5 ? bytes.readUInt32BE(1) : 0;
    const tooBig = end.code === 8 && declared > DEFAULT_MAX_MESSAGE_BYTES;
    if (!(end.code === 3 || end.code === 0 || (end.code === 12 && flagged) || tooBig || end.code === -1)) violate(`garbage answered ${end.code}: ${end.message}`);
  };
  let killing = false;
  const killClient = async () => {
    if (killing) return;
    killing = true;
    try {
      const request = grpcFrame(encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: BIG_NODE }, typeUrl: CLUSTER_TYPE_URL })));
      const child = spawnFixture("kill-client.mjs", [listener.url, ADS_PATH, Buffer.from(request).toString("hex"), String(1 + Math.floor(random() * 60_000))]);
      await child.waitForLine(/^PARTIAL/, 15_000).catch(() => undefined);
      await child.kill("SIGKILL");
    } finally {
      killing = false;
    }
  };
  const restartCp = async () => {
    await cp?.kill("SIGKILL");
    cpVersion++;
    await startCp();
  };

  const faults: [string, number, () => unknown][] = [
    ["setSnapshot", 4, () => {
      version++;
      setAll();
    }],
    ["linear update", 3, () => endpoints.updateResource(endpointAt(pick(EDS_NAMES)))],
    ["stream cancel", 2, () => pick(agents).stream?.cancel()],
    ["stream half-close", 1, () => pick(agents).stream?.halfClose()],
    ["connection drop", 0.3, () => sessions[Math.floor(random() * CONNECTIONS)]?.destroy()],
    ["garbage stream", 2, () => garbage().catch((e) => violate(`garbage: ${String(e)}`))],
    ["client SIGKILLed mid-response", 0.3, () => killClient().catch((e) => violate(`kill client: ${String(e)}`))],
  ];
  const totalWeight = faults.reduce((n, [, w]) => n + w, 0);
  const chooseFault = () => {
    let r = random() * totalWeight;
    for (const f of faults) {
      r -= f[1];
      if (r <= 0) return f;
    }
    return faults[0] as (typeof faults)[number];
  };

  const expectedWatches = () => {
    const sotw = agents.filter((a) => a.protocol === "sotw").length;
    const delta = agents.length - sotw;
    return { snapshotSotw: 2 * sotw, snapshotDelta: delta, linearSotw: sotw, linearDelta: delta };
  };
  const actualWatches = () => {
    let snapshotSotw = 0;
    let snapshotDelta = 0;
    for (const node of [...NODE_GROUPS, BIG_NODE]) {
      const info = snapshots.statusInfo(node);
      snapshotSotw += info?.sotwWatches ?? 0;
      snapshotDelta += info?.deltaWatches ?? 0;
    }
    return { snapshotSotw, snapshotDelta, linearSotw: endpoints.sotwWatchCount(), linearDelta: endpoints.deltaWatchCount() };
  };
  let checks = 0;
  let baseMemory: number | undefined;
  let maxGrowth = 0;
  const quietCheck = async (label: string) => {
    try {
      await eventually(`${label}: every client converges`, () => {
        const live = agents.filter((a) => a.stream !== undefined).length;
        check(live === agents.length, `${agents.length - live} clients not connected`);
        const eds = Number(endpoints.version());
        const behind = agents.filter((a) =>
          a.protocol === "sotw"
            ? a.last.get(CLUSTER_TYPE_URL) !== version || a.last.get(LISTENER_TYPE_URL) !== version || a.last.get(ENDPOINT_TYPE_URL) !== eds
            : a.last.get(CLUSTER_TYPE_URL) !== version,
        );
        check(behind.length === 0, () => `${behind.length} clients behind v${version}/eds ${eds}, e.g. ${JSON.stringify([...(behind[0]?.last ?? [])])}`);
        check(openStreams === agents.length, `open streams ${openStreams}, clients ${agents.length}`);
        const want = expectedWatches();
        const got = actualWatches();
        check(JSON.stringify(want) === JSON.stringify(got), `watches ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        check(followerVersion === `v${cpVersion}`, `follower at ${followerVersion}, control plane process at v${cpVersion}`);
      }, 30_000, 100);
      const memory = await memoryAfterGc();
      baseMemory ??= memory;
      maxGrowth = Math.max(maxGrowth, memory - baseMemory);
      if (memory - baseMemory > memoryBound) violate(`${label}: memory after GC grew ${fmtMiB(memory - baseMemory)} (bound ${fmtMiB(memoryBound)})`);
      checks++;
      log(`${label}: ok — v${version}, eds ${endpoints.version()}, ${responses} responses, memory ${fmtMiB(memory)} (+${fmtMiB(memory - baseMemory)}), faults ${JSON.stringify(counts)}`);
    } catch (e) {
      violate(e instanceof Error ? e.message : String(e));
    }
  };

  // The run.
  const start = Date.now();
  const deadline = start + seconds * 1000;
  let nextCheck = start + checkEvery * 1000;
  let nextRestart = start + restartEvery * 1000;
  await quietCheck("initial");
  while (Date.now() < deadline) {
    const [name, , run] = chooseFault();
    count(name);
    run();
    await sleep(20 + random() * 60);
    if (Date.now() >= nextRestart && Date.now() < deadline - 5_000) {
      count("control-plane process SIGKILL + restart");
      await restartCp();
      nextRestart += restartEvery * 1000;
    }
    if (Date.now() >= nextCheck) {
      await quietCheck(`check at ${Math.round((Date.now() - start) / 1000)} s`);
      nextCheck = Date.now() + checkEvery * 1000;
    }
  }
  await sleep(300);
  await quietCheck("final");

  // Tear down: nothing may be left behind.
  stopping = true;
  for (const a of agents) a.stream?.cancel();
  for (const s of sessions) if (s) await closeSession(s);
  await eventually("after the run no stream or watch is left", () => {
    check(openStreams === 0, `open streams ${openStreams}`);
    const got = actualWatches();
    check(Object.values(got).every((n) => n === 0), `watches ${JSON.stringify(got)}`);
  }, 20_000).catch((e: unknown) => violate(e instanceof Error ? e.message : String(e)));
  followerSession?.destroy();
  await cp?.kill("SIGKILL");
  await following;
  await server.close();
  snapshots.close();
  return { seconds: (Date.now() - start) / 1000, seed, counts, checks, responses, memoryGrowthBytes: maxGrowth, violations };
}

export function formatSummary(s: SoakSummary): string {
  const lines = [
    `soak: ${s.seconds.toFixed(0)} s, seed ${s.seed}, ${s.checks} invariant checks passed, ${s.responses} responses received, max memory growth after GC ${fmtMiB(s.memoryGrowthBytes)}`,
    ...Object.entries(s.counts)
      .sort()
      .map(([k, n]) => `  ${k}: ${n}`),
    s.violations.length === 0 ? "  violations: none" : `  violations (${s.violations.length}):\n    ${s.violations.join("\n    ")}`,
  ];
  return lines.join("\n");
}
