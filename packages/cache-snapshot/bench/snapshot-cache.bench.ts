// Benchmark of @xdskit/cache-snapshot: encode calls per snapshot, time and
// memory to answer 10,000 watches from one snapshot of 1,000 clusters + 1,000
// endpoint assignments, and memory per idle watch.
//
// Run with `pnpm bench` in this package (after `pnpm build`). It re-runs
// itself under `node --expose-gc` so heap figures are taken after a full GC.
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { create, type Message } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  createSubscription,
  ENDPOINT_TYPE_URL,
  marshalDeterministic,
  type SotwResponse,
  type Subscription,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type Snapshot, type SnapshotCache } from "@xdskit/cache-snapshot";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DiscoveryRequestSchema, type DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", self, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}
const collect = (): void => {
  gc?.();
  gc?.();
};

const CLUSTERS = 1_000;
const WATCHES = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_WATCHES = 100_000;

// --- Counting encodes ------------------------------------------------------
// The encoder is the only reader of these fields (names and references come
// from others), so counting reads through a Proxy counts real encodes,
// wherever they happen: snapshot build, cache, or a server reading `.any`.
let fieldReads = 0;
const encodedField: Record<string, string> = {
  [ClusterSchema.typeName]: "connectTimeout",
  [ClusterLoadAssignmentSchema.typeName]: "endpoints",
};
function counted<M extends Message>(message: M): M {
  const field = encodedField[message.$typeName];
  return new Proxy(message, {
    get(target, key, receiver) {
      if (key === field) fieldReads++;
      return Reflect.get(target, key, receiver);
    },
  });
}
// Reads of the counted field per encode, measured once per type.
function readsPerEncode(encode: () => void): number {
  const before = fieldReads;
  encode();
  return fieldReads - before;
}

function cluster(i: number) {
  return create(ClusterSchema, {
    name: `cluster-${i}`,
    connectTimeout: { seconds: 1n },
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: { resourceApiVersion: 2, configSourceSpecifier: { case: "ads", value: {} } } },
    metadata: { filterMetadata: { team: { owner: `team-${i % 17}`, tier: i % 3 } } },
  });
}

function assignment(i: number, version: number) {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: `cluster-${i}`,
    endpoints: [
      {
        locality: { region: "eu-west-1", zone: `eu-west-1${"abc"[i % 3]}` },
        lbEndpoints: [0, 1, 2].map((k) => ({
          hostIdentifier: {
            case: "endpoint" as const,
            value: { address: { address: { case: "socketAddress" as const, value: { address: `10.${version % 250}.${i % 250}.${k}`, portSpecifier: { case: "portValue" as const, value: 8080 } } } } },
          },
        })),
      },
    ],
  });
}

function buildSnapshot(version: number): { snapshot: Snapshot; encodes: number } {
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => counted(cluster(i)));
  const assignments = Array.from({ length: CLUSTERS }, (_, i) => counted(assignment(i, version)));
  const before = fieldReads;
  const snapshot = createSnapshot(`v${version}`, { [CLUSTER_TYPE_URL]: clusters, [ENDPOINT_TYPE_URL]: assignments });
  return { snapshot, encodes: (fieldReads - before) / perEncode };
}

const probe = counted(cluster(0));
const perClusterEncode = readsPerEncode(() => marshalDeterministic(ClusterSchema, probe));
const probeCla = counted(assignment(0, 0));
const perClaEncode = readsPerEncode(() => marshalDeterministic(ClusterLoadAssignmentSchema, probeCla));
if (perClusterEncode !== perClaEncode || perClusterEncode === 0) throw new Error(`uneven probes: ${perClusterEncode} vs ${perClaEncode}`);
const perEncode = perClusterEncode;

// --- Watches ---------------------------------------------------------------
const clusterNames = Array.from({ length: CLUSTERS }, (_, i) => `cluster-${i}`);

interface Stream {
  readonly request: DiscoveryRequest;
  readonly subscription: Subscription;
}

// An EDS stream that already holds every assignment (as after its previous
// response). Shared by the streams so the bench does not measure 5,000
// copies of a 1,000-entry map that belong to the server, not the cache.
const edsNames: ReadonlySet<string> = new Set(clusterNames);
const edsReturned: ReadonlyMap<string, string> = new Map(clusterNames.map((name) => [name, "previous"]));
const edsSubscription: Subscription = {
  isWildcard: () => false,
  isLegacyWildcard: () => false,
  resourceNames: () => edsNames,
  returnedResources: () => edsReturned,
  answered: () => true,
};

/** Half CDS wildcard streams, half EDS streams naming every cluster, like Envoys on ADS. */
function makeStreams(count: number, nodeOf: (i: number) => string, version: string): Stream[] {
  return Array.from({ length: count }, (_, i) => {
    const eds = i % 2 === 1;
    const names = eds ? clusterNames : [];
    return {
      request: create(DiscoveryRequestSchema, {
        typeUrl: eds ? ENDPOINT_TYPE_URL : CLUSTER_TYPE_URL,
        node: { id: nodeOf(i) },
        versionInfo: version,
        resourceNames: names,
      }),
      subscription: eds ? edsSubscription : createSubscription(),
    };
  });
}

// Responses are queued during setSnapshot (as a server hands them to its
// streams) and served afterwards, outside the timed section.
let queued: SotwResponse[] = [];
const queue = (response: SotwResponse): void => {
  queued.push(response);
};
let bytesSent = 0;
/** What a server does with a response: take every resource's pre-built Any. */
function serveQueued(): void {
  for (const response of queued) for (const resource of response.resources) bytesSent += resource.any.value.length;
  queued = [];
}
const serve = queue;

function openAll(cache: SnapshotCache, streams: readonly Stream[]): void {
  for (const stream of streams) cache.createWatch(stream.request, stream.subscription, serve);
  queued = [];
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const ms = (ns: bigint): number => Number(ns) / 1e6;

interface Row {
  readonly what: string;
  readonly value: string;
}
const rows: Row[] = [];

// 1. Building a snapshot: every resource encoded exactly once.
const builds: number[] = [];
let buildEncodes = 0;
for (let run = 0; run < RUNS; run++) {
  const t0 = process.hrtime.bigint();
  const { encodes } = buildSnapshot(run);
  builds.push(ms(process.hrtime.bigint() - t0));
  buildEncodes = encodes;
}
rows.push({ what: `createSnapshot, ${CLUSTERS} clusters + ${CLUSTERS} assignments (median ms)`, value: median(builds).toFixed(1) });

// 2. One snapshot answering 10,000 watches of one node key (a fleet sharing a snapshot).
{
  const times: number[] = [];
  const heap: number[] = [];
  const encodesPerSet: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cache = createSnapshotCache({ ads: true, nodeHash: () => "fleet" });
    const { snapshot: first } = buildSnapshot(1000 + run * 2);
    cache.setSnapshot("fleet", first);
    openAll(cache, makeStreams(WATCHES, () => "fleet", `v${1000 + run * 2}`));
    const { snapshot: next, encodes } = buildSnapshot(1001 + run * 2);
    collect();
    const heapBefore = process.memoryUsage().heapUsed;
    const readsBefore = fieldReads;
    const t0 = process.hrtime.bigint();
    const answered = cache.setSnapshot("fleet", next);
    const t1 = process.hrtime.bigint();
    const heapAfter = process.memoryUsage().heapUsed;
    serveQueued();
    if (answered !== WATCHES) throw new Error(`answered ${answered} of ${WATCHES}`);
    times.push(ms(t1 - t0));
    heap.push((heapAfter - heapBefore) / 2 ** 20);
    encodesPerSet.push(encodes + (fieldReads - readsBefore) / perEncode);
  }
  rows.push({
    what: `encode calls: build + setSnapshot answering ${WATCHES.toLocaleString("en")} watches + server reading every Any`,
    value: `${median(encodesPerSet)} (distinct resources: ${2 * CLUSTERS})`,
  });
  rows.push({ what: `setSnapshot answering ${WATCHES.toLocaleString("en")} watches of one node key (median ms)`, value: median(times).toFixed(1) });
  rows.push({ what: "  heap allocated by it (median MiB, responses included)", value: median(heap).toFixed(1) });
}

// 3. The same 10,000 watches spread over 5,000 nodes (CDS + EDS each), one setSnapshot per node.
{
  const NODES = WATCHES / 2;
  const times: number[] = [];
  const encodesPerSet: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cache = createSnapshotCache({ ads: true });
    const { snapshot: first } = buildSnapshot(2000 + run * 2);
    for (let n = 0; n < NODES; n++) cache.setSnapshot(`node-${n}`, first);
    openAll(cache, makeStreams(WATCHES, (i) => `node-${i >> 1}`, `v${2000 + run * 2}`));
    const { snapshot: next, encodes } = buildSnapshot(2001 + run * 2);
    collect();
    const readsBefore = fieldReads;
    let answered = 0;
    const t0 = process.hrtime.bigint();
    for (let n = 0; n < NODES; n++) answered += cache.setSnapshot(`node-${n}`, next);
    const t1 = process.hrtime.bigint();
    serveQueued();
    if (answered !== WATCHES) throw new Error(`answered ${answered} of ${WATCHES}`);
    times.push(ms(t1 - t0));
    encodesPerSet.push(encodes + (fieldReads - readsBefore) / perEncode);
  }
  rows.push({
    what: `${NODES.toLocaleString("en")} nodes x (CDS + EDS): setSnapshot on each (median ms total)`,
    value: median(times).toFixed(1),
  });
  rows.push({ what: "  encode calls for all of it (one shared snapshot)", value: String(median(encodesPerSet)) });
}

// 4. setSnapshot on a node with nothing to answer, while 10,000 other watches wait: independent of node count.
{
  const cache = createSnapshotCache();
  const { snapshot } = buildSnapshot(3000);
  for (let n = 0; n < WATCHES; n++) cache.setSnapshot(`node-${n}`, snapshot);
  openAll(cache, makeStreams(WATCHES, (i) => `node-${i}`, "v3000"));
  const CALLS = 10_000;
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < CALLS; k++) cache.setSnapshot("quiet-node", snapshot);
    samples.push((ms(process.hrtime.bigint() - t0) * 1000) / CALLS);
  }
  rows.push({ what: `setSnapshot on a quiet node beside ${WATCHES.toLocaleString("en")} open watches (median µs)`, value: median(samples).toFixed(2) });
}

// 5. Memory per idle watch: the cache's own cost (requests and subscriptions belong to the server).
{
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cache = createSnapshotCache();
    const { snapshot } = buildSnapshot(4000);
    const NODES = 1_000;
    for (let n = 0; n < NODES; n++) cache.setSnapshot(`node-${n}`, snapshot);
    const streams = Array.from({ length: IDLE_WATCHES }, (_, i) => ({
      request: create(DiscoveryRequestSchema, { typeUrl: CLUSTER_TYPE_URL, node: { id: `node-${i % NODES}` }, versionInfo: "v4000" }),
      subscription: createSubscription(),
    }));
    // Every node has made a request before: status entries are not per watch.
    openAll(cache, streams.slice(0, NODES));
    const rest = streams.slice(NODES);
    const cancels: (() => void)[] = new Array(rest.length);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < rest.length; i++) {
      const stream = rest[i];
      if (stream !== undefined) cancels[i] = cache.createWatch(stream.request, stream.subscription, serve);
    }
    collect();
    const after = process.memoryUsage().heapUsed;
    samples.push((after - before) / (IDLE_WATCHES - NODES));
    // Keep everything alive until measured.
    if (cancels.length === 0 || cache.statusInfo("node-0") === undefined) throw new Error("unreachable");
  }
  rows.push({ what: "heap per idle SotW watch (median bytes, incl. its cancel function)", value: median(samples).toFixed(0) });
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`@xdskit/cache-snapshot bench: ${cpu}, ${os.cpus().length} cores, node ${process.version}, ${RUNS} runs`);
console.log(`encode calls when building one snapshot: ${buildEncodes}`);
const width = Math.max(...rows.map((r) => r.what.length));
console.log(`| ${"measure".padEnd(width)} | value |`);
console.log(`|${"-".repeat(width + 2)}|-------|`);
for (const row of rows) console.log(`| ${row.what.padEnd(width)} | ${row.value} |`);
if (bytesSent === 0) throw new Error("nothing was served");
