// Time and heap to import one generated file versus the whole registry, each in
// fresh Node processes (module caches are per process). Prints medians of RUNS.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const runs = Number(process.env.RUNS ?? 7);
const cwd = fileURLToPath(new URL("..", import.meta.url));
const targets = {
  "one file (cluster_pb)": "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb",
  "one file (discovery_pb)": "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb",
  "full registry (root)": "@xdskit/envoy-api",
};
// With PRELOAD the protobuf-es runtime is loaded first, as in any app that already uses it,
// so the figure is what the generated file itself adds.
const probe = (spec, preload) => `
${preload ? 'await import("@bufbuild/protobuf"); await import("@bufbuild/protobuf/codegenv2"); await import("@bufbuild/protobuf/wkt");' : ""}
globalThis.gc(); const h0 = process.memoryUsage().heapUsed; const t0 = performance.now();
const m = await import(${JSON.stringify(spec)});
const ms = performance.now() - t0; globalThis.gc();
console.log(JSON.stringify({ ms, heap: process.memoryUsage().heapUsed - h0, exports: Object.keys(m).length }));`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${runs} fresh processes each, medians`);
for (const [label, spec, preload] of [
  ...Object.entries(targets).map(([l, s]) => [l, s, false]),
  ...Object.entries(targets).map(([l, s]) => [`${l}, runtime preloaded`, s, true]),
]) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", probe(spec, preload)], { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    samples.push(JSON.parse(r.stdout));
  }
  const ms = median(samples.map((s) => s.ms));
  const heap = median(samples.map((s) => s.heap));
  console.log(`${label.padEnd(46)} ${ms.toFixed(1).padStart(7)} ms  ${(heap / 1024 / 1024).toFixed(2).padStart(6)} MiB heap`);
}
