// EDS churn benchmark: 10,000 endpoints in 100 ClusterLoadAssignments, 1,000
// delta watchers, 100 updates/s. Reports CPU per update, time from update to
// each watcher's callback (p50/p99) and marshal calls per update, for two
// subscription shapes: each watcher on 3 clusters (the EDS shape: ~30
// watchers per cluster), and every watcher wildcard (the worst case: every
// update answers all 1,000).
//
//   pnpm bench                      # 30 s per scenario
//   BENCH_SECONDS=5 pnpm bench      # shorter
import { cpus, platform, release } from "node:os";
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import {
  type CachedResource,
  createSubscription,
  ENDPOINT_TYPE_URL,
  hashResource,
  marshalDeterministic,
  type MutableSubscription,
} from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const CLUSTERS = 100;
const ENDPOINTS_PER_CLUSTER = 100;
const WATCHERS = 1000;
const CLUSTERS_PER_WATCHER = 3;
const RATE = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);

let marshalCalls = 0;
let hashCalls = 0;

// A CachedResource that counts how often it is marshalled and hashed: the
// cache must do each at most once per update, whatever the number of watchers.
class CountingResource implements CachedResource {
  readonly typeUrl = ENDPOINT_TYPE_URL;
  readonly schema = ClusterLoadAssignmentSchema;
  readonly ttlMs = undefined;
  readonly name: string;
  readonly message: ClusterLoadAssignment;
  #bytes: Uint8Array | undefined;
  #hash: string | undefined;
  #any: Any | undefined;

  constructor(message: ClusterLoadAssignment) {
    this.message = message;
    this.name = message.clusterName;
  }

  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      marshalCalls++;
      this.#bytes = marshalDeterministic(ClusterLoadAssignmentSchema, this.message);
    }
    return this.#bytes;
  }

  get hash(): string {
    if (this.#hash === undefined) {
      hashCalls++;
      this.#hash = hashResource(this.bytes);
    }
    return this.#hash;
  }

  get any(): Any {
    if (this.#any === undefined) this.#any = create(AnySchema, { typeUrl: this.typeUrl, value: this.bytes });
    return this.#any;
  }

  withTtl(): CachedResource {
    return this;
  }
}

function assignment(cluster: number, generation: number): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: `svc-${cluster}`,
    endpoints: [
      {
        locality: { zone: "zone-a" },
        lbEndpoints: Array.from({ length: ENDPOINTS_PER_CLUSTER }, (_, j) => ({
          hostIdentifier: {
            case: "endpoint" as const,
            value: {
              address: {
                address: {
                  case: "socketAddress" as const,
                  value: { address: `10.${cluster}.${j >> 8}.${j & 255}`, portSpecifier: { case: "portValue" as const, value: 8080 } },
                },
              },
            },
          },
          // One endpoint's weight changes per generation: a rollout step.
          loadBalancingWeight: j === generation % ENDPOINTS_PER_CLUSTER ? 2 + (generation % 50) : 1,
        })),
      },
    ],
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Result {
  scenario: string;
  updates: number;
  answeredPerUpdate: number;
  cpuP50: number;
  cpuP99: number;
  latencyP50: number;
  latencyP99: number;
  rewatchCpuP50: number;
  marshalPerUpdate: number;
  hashPerUpdate: number;
}

async function run(scenario: string, subscriptionOf: (watcher: number) => string[]): Promise<Result> {
  const cache: LinearCache = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, versionPrefix: "eds-" });
  const generation = new Array<number>(CLUSTERS).fill(0);
  cache.setResources(Array.from({ length: CLUSTERS }, (_, i) => new CountingResource(assignment(i, 0))));

  let updateStart = 0;
  const latencies: number[] = [];
  const pending: Array<() => void> = [];
  const watchers: { sub: MutableSubscription; nonce: number }[] = [];
  const open = (w: number): void => {
    const watcher = watchers[w];
    if (watcher === undefined) return;
    const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, responseNonce: String(watcher.nonce) });
    cache.createDeltaWatch(request, watcher.sub, (response) => {
      latencies.push(performance.now() - updateStart);
      watcher.nonce++;
      // What a server records after sending: O(changes), not a copy of everything the client holds.
      watcher.sub.updateReturnedResources(
        response.resources.map((r) => [r.name, r.hash] as const),
        response.removed,
      );
      // The client's ACK opens the next watch, after this update returns.
      pending.push(() => open(w));
    });
  };
  for (let w = 0; w < WATCHERS; w++) {
    watchers.push({ sub: createSubscription({ resourceNames: subscriptionOf(w) }), nonce: 0 });
    open(w);
  }
  // Initial responses: everyone syncs, then acks.
  for (const ack of pending.splice(0)) ack();
  latencies.length = 0;
  globalThis.gc?.();

  const cpu: number[] = [];
  const rewatchCpu: number[] = [];
  let answered = 0;
  const marshal0 = marshalCalls;
  const hash0 = hashCalls;
  const total = Math.max(1, Math.round(SECONDS * RATE));
  const started = performance.now();
  for (let k = 0; k < total; k++) {
    const due = started + (k * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const cluster = (k * 37) % CLUSTERS;
    generation[cluster] = (generation[cluster] ?? 0) + 1;
    const resource = new CountingResource(assignment(cluster, generation[cluster] ?? 0));

    const before = latencies.length;
    const c0 = process.cpuUsage();
    updateStart = performance.now();
    cache.updateResource(resource);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000);
    answered += latencies.length - before;

    const r0 = process.cpuUsage();
    for (const ack of pending.splice(0)) ack();
    const rewatch = process.cpuUsage(r0);
    rewatchCpu.push((rewatch.user + rewatch.system) / 1000);
  }
  const byValue = (a: number, b: number) => a - b;
  cpu.sort(byValue);
  rewatchCpu.sort(byValue);
  latencies.sort(byValue);
  return {
    scenario,
    updates: total,
    answeredPerUpdate: answered / total,
    cpuP50: percentile(cpu, 50),
    cpuP99: percentile(cpu, 99),
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    rewatchCpuP50: percentile(rewatchCpu, 50),
    marshalPerUpdate: (marshalCalls - marshal0) / total,
    hashPerUpdate: (hashCalls - hash0) / total,
  };
}

const named = (w: number): string[] => {
  const picked = new Set<string>();
  for (let i = 0; picked.size < CLUSTERS_PER_WATCHER; i++) picked.add(`svc-${(w * 7 + i * 31) % CLUSTERS}`);
  return [...picked];
};

const cpu = cpus();
console.log(`linear cache EDS churn: ${CLUSTERS} CLAs x ${ENDPOINTS_PER_CLUSTER} endpoints, ${WATCHERS} delta watchers, ${RATE} updates/s for ${SECONDS} s per scenario`);
console.log(`machine: ${cpu[0]?.model ?? "unknown"}, ${cpu.length} cores, ${platform()} ${release()}, node ${process.version}`);
const results = [
  await run(`${CLUSTERS_PER_WATCHER} clusters/watcher`, named),
  await run("wildcard", () => ["*"]),
];
const ms = (n: number) => n.toFixed(3);
console.table(
  results.map((r) => ({
    scenario: r.scenario,
    updates: r.updates,
    "answered/update": Number(r.answeredPerUpdate.toFixed(1)),
    "CPU/update p50 ms": ms(r.cpuP50),
    "CPU/update p99 ms": ms(r.cpuP99),
    "update→callback p50 ms": ms(r.latencyP50),
    "update→callback p99 ms": ms(r.latencyP99),
    "re-watch CPU p50 ms": ms(r.rewatchCpuP50),
    "marshal/update": Number(r.marshalPerUpdate.toFixed(2)),
    "hash/update": Number(r.hashPerUpdate.toFixed(2)),
  })),
);
