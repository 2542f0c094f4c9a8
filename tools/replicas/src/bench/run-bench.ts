// `pnpm bench` (or ./scripts/pnpm.sh --filter @xdskit/replicas bench): the example control plane on etcd.
//   1. etcd write → every client ACKed: 1,000 ADS clients spread over 3 replicas, one cluster changed per write.
//   2. fan-out: 5,000 clients on one port, --workers 2 vs --workers 1, in the same run (alternating).
// Prints the figures and writes tools/replicas/results/latest.json. BENCH_SMOKE=1 runs tiny sizes (figures to the temp dir).
import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { startEtcd } from "@xdskit/etcd-tool";
import { createEtcdClient, createEtcdWriter, type EtcdWriter } from "@xdskit/store-etcd";
import { runApp } from "../app-process.js";
import { startReplicas } from "../replica.js";
import { connectPool, percentile, type ClientPool } from "./client-pool.js";
import { processCpuSeconds } from "./process-cpu.js";

const smoke = process.env["BENCH_SMOKE"] === "1";
const CLUSTERS = 100;
const ACK_CLIENTS = smoke ? 30 : 1_000;
const ACK_STEPS = smoke ? 3 : 10;
const FANOUT_CLIENTS = smoke ? 50 : 5_000;
const FANOUT_STEPS = smoke ? 2 : 5;
const FANOUT_ROUNDS = smoke ? [1, 2] : [1, 2, 1, 2];

const cluster = (i: number, timeoutMs: number) =>
  create(ClusterSchema, { name: `cluster-${i}`, connectTimeout: { seconds: BigInt(Math.floor(timeoutMs / 1000)), nanos: (timeoutMs % 1000) * 1e6 } });

interface StepFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

let writes = 0;

/** One write that changes one cluster (never back to an earlier content: a no-op write changes no version); resolves every client's ACK latency for it. */
async function step(writer: EtcdWriter, pool: ClientPool): Promise<number[]> {
  const n = ++writes;
  const t0 = performance.now();
  const { revision } = await writer.put("default", [cluster(n % CLUSTERS, 1_000 + n)]);
  return pool.ackLatencies(String(revision), t0);
}

const figures = (latencies: readonly number[]): StepFigures => ({
  p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
  p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
  maxMs: Math.round(Math.max(...latencies) * 10) / 10,
});

const work = mkdtempSync(join(os.tmpdir(), "xdskit-replicas-bench-"));
const etcd = await startEtcd({ name: "bench", maxTxnOps: 1_000 });
const client = createEtcdClient({ endpoints: etcd.endpoints });
const writer = createEtcdWriter({ client, maxTxnOps: 1_000 });
const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
  config: { clusters: CLUSTERS, subscription: "SotW ADS, CDS wildcard, one HTTP/2 connection per client", etcd: "single node" },
};
try {
  await writer.replace({ default: Array.from({ length: CLUSTERS }, (_, i) => cluster(i, 1_000)) });

  // 1. ACK latency over 3 replicas.
  {
    const replicas = await startReplicas(["bench-A", "bench-B", "bench-C"], { etcdEndpoints: etcd.endpoints });
    try {
      const pool = await connectPool(
        replicas.map((r) => r.port),
        ACK_CLIENTS,
      );
      await step(writer, pool); // warm-up, not counted: the first answer of a fresh process runs cold code
      const cpu0 = replicas.map((r) => processCpuSeconds(r.process.child.pid ?? 0));
      const all: number[] = [];
      const perStep: StepFigures[] = [];
      for (let n = 1; n <= ACK_STEPS; n++) {
        const latencies = await step(writer, pool);
        all.push(...latencies);
        perStep.push(figures(latencies));
      }
      const cpu = replicas.map((r, i) => processCpuSeconds(r.process.child.pid ?? 0) - (cpu0[i] ?? 0));
      pool.close();
      results["ackLatency"] = { clients: ACK_CLIENTS, replicas: 3, writes: ACK_STEPS, ...figures(all), perStep, replicaCpuS: cpu.map((c) => Math.round(c * 100) / 100) };
      console.log(`etcd write → all ${ACK_CLIENTS} clients ACKed (3 replicas, ${ACK_STEPS} writes): p50 ${figures(all).p50Ms} ms, p99 ${figures(all).p99Ms} ms, max ${figures(all).maxMs} ms`);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }

  // 2. Fan-out on --workers 1 vs 2.
  const rounds: { workers: number; figures: StepFigures; serverCpuS: number; loadgenCpuS: number }[] = [];
  for (const workers of FANOUT_ROUNDS) {
    const app = runApp(`bench-workers-${workers}`, [
      "--source",
      "etcd",
      "--etcd-endpoints",
      etcd.endpoints.join(","),
      "-p",
      "0",
      "--admin-port",
      "0",
      "--upstream-port",
      "0",
      "--workers",
      String(workers),
      "--bootstrap-out",
      join(work, "bootstrap.json"),
    ]);
    try {
      const listening = await app.waitForLine("listening", (l) => l.msg === "xDS control plane listening", PROCESS_START_BOUND_MS);
      const pids = [app.child.pid ?? 0, ...app.lines.filter((l) => l.msg === "worker serving").map((l) => Number(l.pid))];
      const pool = await connectPool([Number(listening["port"])], FANOUT_CLIENTS);
      await step(writer, pool); // warm-up, not counted
      const cpu0 = pids.reduce((s, p) => s + processCpuSeconds(p), 0);
      const self0 = process.cpuUsage();
      const all: number[] = [];
      for (let n = 1; n <= FANOUT_STEPS; n++) all.push(...(await step(writer, pool)));
      const self = process.cpuUsage(self0);
      const serverCpuS = pids.reduce((s, p) => s + processCpuSeconds(p), 0) - cpu0;
      pool.close();
      rounds.push({ workers, figures: figures(all), serverCpuS: Math.round(serverCpuS * 100) / 100, loadgenCpuS: Math.round(((self.user + self.system) / 1e6) * 100) / 100 });
      console.log(`fan-out to ${FANOUT_CLIENTS} clients, --workers ${workers}: p50 ${figures(all).p50Ms} ms, p99 ${figures(all).p99Ms} ms, max ${figures(all).maxMs} ms`);
    } finally {
      await app.stop();
    }
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const of = (w: number, k: keyof StepFigures) => median(rounds.filter((r) => r.workers === w).map((r) => r.figures[k]));
  const ratio = { p50: of(2, "p50Ms") / of(1, "p50Ms"), p99: of(2, "p99Ms") / of(1, "p99Ms"), max: of(2, "maxMs") / of(1, "maxMs") };
  results["fanout"] = { clients: FANOUT_CLIENTS, writesPerRound: FANOUT_STEPS, rounds, workers2OverWorkers1: ratio };
  console.log(`fan-out ratio --workers 2 / --workers 1 (lower is better): p50 ${ratio.p50.toFixed(2)}, p99 ${ratio.p99.toFixed(2)}, max ${ratio.max.toFixed(2)}`);
} finally {
  client.close();
  await etcd.stop();
  rmSync(work, { recursive: true, force: true });
}
// A smoke run's figures mean nothing: they stay out of the repository.
const dir = smoke ? `${os.tmpdir()}/` : fileURLToPath(new URL("../../results/", import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}${smoke ? "xdskit-replicas-bench-smoke" : "latest"}.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
