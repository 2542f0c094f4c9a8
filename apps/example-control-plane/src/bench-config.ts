// Benchmark of the config directory source on a large config (item 7 of issue 19): how long the
// example app takes to load 5,000 clusters + 5,000 assignments (50,000 endpoints, ~6.7 MB of
// YAML, written by big-config.ts), the RSS it takes, and how long a one-cluster edit takes to be
// in the cache once the file has settled (the watcher's settle delay not counted). Each run is a
// fresh process (cold start, its own RSS). Goals: load ≤ 1 s, RSS ≤ 200 MB, reload ≤ 300 ms
// (medians; RSS the largest); the exit status says whether they were met.
//
//   pnpm --filter @xdskit/example-control-plane bench:config [-- --runs 5] [--default-v8]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

interface RunResult {
  loadMs: number;
  loadCpuMs: number;
  rssMb: number;
  peakRssMb: number;
  /** The largest RSS up to the end of the load. */
  loadPeakRssMb: number;
  reloadMs: number[];
  reloadCpuMs: number[];
}

const GOALS = { loadMs: 1000, rssMb: 200, reloadMs: 300 };

async function child(dir: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // What the app does at start for a config directory (main.ts, control-plane.ts), timed from before its imports.
  const { registerImportHook } = await import("@xdskit/server/import-hook");
  registerImportHook();
  const { lazyEnvoyRegistry } = await import("@xdskit/envoy-config");
  const { createSnapshotCache } = await import("@xdskit/cache-snapshot");
  const { createValidator } = await import("@xdskit/validate/core");
  const { configSource } = await import("@xdskit/resource-builders/config-source");
  const { ConfigStore } = await import("./config-store.js");
  const { bigConfigCluster } = await import("./big-config.js");
  const registry = lazyEnvoyRegistry();
  const store = new ConfigStore(dir, createSnapshotCache({ ads: true }), registry, {
    selfConfigSource: configSource("ads"),
    validate: { validator: createValidator({ registry }), mode: "refuse" },
  });
  const first = store.reload();
  if (!first.ok) throw new Error(`the config did not load: ${JSON.stringify(first.problems.slice(0, 3))}`);
  const loadMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const loadPeakRssMb = process.resourceUsage().maxRSS / 1024;

  // One-file edits: one cluster's connect_timeout in clusters.yaml, each a new value.
  const file = join(dir, "clusters.yaml");
  const original = readFileSync(file, "utf8");
  const reloadMs: number[] = [];
  const reloadCpuMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const target = 100 + i * 997;
    writeFileSync(file, original.replace(bigConfigCluster(target), bigConfigCluster(target, `${i + 2}s`)));
    const t = performance.now();
    const c = process.cpuUsage();
    const r = store.reload();
    const ms = performance.now() - t;
    const rc = process.cpuUsage(c);
    reloadCpuMs.push((rc.user + rc.system) / 1000);
    if (!r.ok || !r.changedGroups.includes("default")) throw new Error(`edit ${i} was not taken: ${JSON.stringify(r)}`);
    reloadMs.push(ms);
  }
  writeFileSync(file, original);
  const result: RunResult = {
    loadMs,
    loadCpuMs: (cpu.user + cpu.system) / 1000,
    rssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    loadPeakRssMb,
    reloadMs,
    reloadCpuMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const range = (xs: number[], digits = 0): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { runs: { type: "string", default: "5" }, child: { type: "string" }, "default-v8": { type: "boolean", default: false } } });
  if (values.child !== undefined) {
    await child(values.child);
    return 0;
  }
  const runs = Number(values.runs);
  // As the app runs (node-flags.ts), unless --default-v8 asks for Node's defaults (to compare).
  const nodeFlags = values["default-v8"] ? [] : (await import("./node-flags.js")).APP_NODE_FLAGS;
  const { writeBigConfig } = await import("./big-config.js");
  const dir = mkdtempSync(join(tmpdir(), "xdskit-bench-config-"));
  try {
    const bytes = writeBigConfig(dir);
    const results: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), "--child", dir], { encoding: "utf8", timeout: 120_000 });
      if (r.status !== 0) throw new Error(`run ${i} failed: ${r.stderr}`);
      results.push(JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as RunResult);
    }
    let commit = "unknown";
    try {
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      // not a git checkout
    }
    const load = results.map((r) => r.loadMs);
    const reload = results.flatMap((r) => r.reloadMs);
    const peak = results.map((r) => r.peakRssMb);
    const lines = [
      `config: 5,000 clusters + 5,000 assignments (50,000 endpoints), ${(bytes / 2 ** 20).toFixed(1)} MB of YAML; ${runs} cold runs`,
      `node ${process.version} ${nodeFlags.join(" ") || "(default V8 flags)"}, commit ${commit}, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")} on ${(await import("node:os")).cpus().length} CPUs`,
      `load (imports, read, decode, validate, snapshot): median ${range(load)} ms (goal ≤ ${GOALS.loadMs}); CPU ${range(results.map((r) => r.loadCpuMs))} ms`,
      `RSS after load: median ${range(results.map((r) => r.rssMb))} MB; peak during load ${range(results.map((r) => r.loadPeakRssMb))} MB; peak over load and reloads ${range(peak)} MB (goal ≤ ${GOALS.rssMb})`,
      `reload after a one-cluster edit of clusters.yaml: median ${range(reload, 1)} ms over ${reload.length} edits (goal ≤ ${GOALS.reloadMs}); CPU ${range(
        results.flatMap((r) => r.reloadCpuMs),
        1,
      )} ms`,
      "(on a busy machine, wall times exceed CPU times by the wait for a core: compare the CPU figures)",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const met = median(load) <= GOALS.loadMs && Math.max(...peak) <= GOALS.rssMb && median(reload) <= GOALS.reloadMs;
    process.stdout.write(met ? "goals met\n" : "goals NOT met\n");
    return met ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
