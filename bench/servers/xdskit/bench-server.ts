// xdskit's bench server: the TypeScript side of the comparison with the go-control-plane peer.
// It implements the contract of bench/SCENARIOS.md (sections 1–3) on xdskit's caches and server:
// a snapshot cache keyed by node.cluster (fanout, idle, bytes, reconnect), or a mux of a snapshot
// cache and a linear EDS cache (churn), served by createXdsServer over h2c, plus the control API.
//
//   node --expose-gc dist/servers/xdskit/server.js --scenario fanout --port 0 --control-port 0
//   (server.js is the entry point: it turns on Node's module compile cache, then loads this file)
//
// XDSKIT_BENCH_CPU_PROFILE=<dir> (not part of the contract, for analysis): a V8 CPU profile of the
// measured window, which the load generator brackets with two /stats calls: profiling starts at
// one /stats and stops at the next, written as <dir>/<scenario>-<pid>-<n>.cpuprofile.
// Summarise with `node --import tsx src/profile-summary.ts <file>`.
// XDSKIT_BENCH_ALLOC_PROFILE=<dir>: instead, a sampled profile of every allocation in that window
// (a .heapprofile: `node --import tsx src/profile-summary.ts` reads those too).
// XDSKIT_BENCH_LOOP_STATS=1: event-loop delay and GC pauses of the same window, on stderr.
// --observe (not part of the contract): metrics on and read, as an operator runs them: an
// OpenTelemetry meter provider for the server's instruments, serialized as a Prometheus scrape
// every second, and the client status read (a CSDS fetch) every second; CSDS served. Without it
// no meter provider is registered (the API is a no-op) and nobody reads the status, which is
// recorded either way. The driver compares the two as "ours" and "ours+obs".
// XDSKIT_BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot after every /stats?gc=1 (the idle scenario
// takes one before the clients connect and one after), for `src/heap-diff.ts`.
// These tools live in diagnostics.ts, loaded only when one of these variables is set, so that
// node:inspector, node:perf_hooks and node:v8 are not part of a measured start.
// --workers N (not part of the contract): this process is the primary of @xdskit/server's
// listenWorkers: it holds the leading caches and the control API, N node:cluster workers follow
// the caches and serve xDS on the one port; /stats sums CPU, memory and counters over every
// process (see workers.ts), and /eds-update answers once every worker applied the update, as a
// single process answers once it did. The profiling hooks above then cover the primary only.

import { once } from "node:events";
import type * as httpTypes from "node:http";
import type { AddressInfo } from "node:net";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
	type Cache,
	type CachedResource,
	CLUSTER_TYPE_URL,
	ENDPOINT_TYPE_URL,
	LISTENER_TYPE_URL,
	type NodeHash,
	prepareResource,
	ROUTE_TYPE_URL,
} from "@xdskit/cache-core";
import { createLinearCache, followLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { createMuxCache } from "@xdskit/cache-mux";
import { createSnapshot, createSnapshotCache, followSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import cluster from "node:cluster";
import { createXdsServer, followPrimary, listenWorkers, type WorkerGroup } from "@xdskit/server";
import { answerStats, processStats, syncWorkers, workerGroupStats } from "./workers.js";
import type { HeldPort } from "@xdskit/server/hold-port";
import { type Config, UsageError } from "./config.js";
import type { WindowProfiler } from "./diagnostics.js";
import { clusterName, listenerName, makeCla, makeCluster, makeListener, makeRoute, routeName } from "./resources.js";

const NODE_GROUP = "bench";

// One snapshot serves every client: key by node.cluster.
const byNodeCluster: NodeHash = (node) => node?.cluster ?? "";

/** What /stats reports besides process figures. */
const counters = { encodeCalls: 0, responsesSent: 0, resourcesSent: 0, streams: 0 };

/** The caches a churn server serves: the snapshot cache, and the linear EDS cache behind a mux. */
function churnMux(snapshots: SnapshotCache, linear: LinearCache): Cache {
	return createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: linear, [CLUSTER_TYPE_URL]: snapshots, [LISTENER_TYPE_URL]: snapshots, [ROUTE_TYPE_URL]: snapshots } });
}

/**
 * Prepares a resource and marshals it now, counting the marshal. This is the only place the
 * process serializes a Cluster / CLA / Listener / RouteConfiguration: caches share the bytes of a
 * `CachedResource` with every response, and unchanged resources are handed to the next snapshot
 * as the same `CachedResource`, so they are never encoded again.
 */
function prepared<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, name: string): CachedResource {
	const resource = prepareResource(schema, message, { name });
	counters.encodeCalls++;
	void resource.bytes; // the lazy, memoized marshalDeterministic runs here, once
	return resource;
}

/** Round half away from zero, then clamp to [1, total] (0 when fraction is 0): SCENARIOS.md /step and /churn. */
function roundCount(fraction: number, total: number): number {
	let n = Math.sign(fraction) * Math.round(Math.abs(fraction * total));
	if (n < 1 && fraction > 0) n = 1;
	if (n > total) n = total;
	if (n < 0) n = 0;
	return n;
}

class BenchState {
	readonly cfg: Config;
	step: number;
	readonly clusterStep: Int32Array;
	readonly gen: Int32Array; // C*K endpoint generations, cluster-major
	readonly edsUpdates: Int32Array;
	readonly typeVersion = new Map<string, number>();
	readonly clusters: CachedResource[] = [];
	readonly clas: CachedResource[] = [];
	readonly listeners: CachedResource[] = [];
	readonly routes: CachedResource[] = [];
	readonly snapshots: SnapshotCache;
	readonly linear: LinearCache | undefined;
	readonly cache: Cache;

	constructor(cfg: Config) {
		this.cfg = cfg;
		const { clusters: c, endpoints: k, listeners: m, initialVersion } = cfg;
		this.step = initialVersion;
		this.clusterStep = new Int32Array(c).fill(initialVersion);
		this.gen = new Int32Array(c * k);
		this.edsUpdates = new Int32Array(c);
		for (const t of [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL]) this.typeVersion.set(t, initialVersion);
		for (let i = 0; i < c; i++) {
			this.clusters.push(this.#cluster(i));
			this.clas.push(this.#cla(i));
		}
		for (let i = 0; i < m; i++) {
			this.listeners.push(prepared(ListenerSchema, makeListener(i), listenerName(i)));
			this.routes.push(prepared(RouteConfigurationSchema, makeRoute(i, c), routeName(i)));
		}
		this.snapshots = createSnapshotCache({ ads: true, nodeHash: byNodeCluster });
		if (cfg.scenario === "churn") {
			this.linear = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, initialResources: this.clas });
			this.cache = churnMux(this.snapshots, this.linear);
		} else {
			this.linear = undefined;
			this.cache = this.snapshots;
		}
		this.#publish();
	}

	#cluster(i: number): CachedResource {
		return prepared(ClusterSchema, makeCluster(i, this.clusterStep[i] ?? 0), clusterName(i));
	}

	#cla(i: number): CachedResource {
		const k = this.cfg.endpoints;
		return prepared(ClusterLoadAssignmentSchema, makeCla(i, k, this.gen, i * k), clusterName(i));
	}

	#version(typeUrl: string): string {
		return String(this.typeVersion.get(typeUrl));
	}

	/** A snapshot with per-type versions; with the linear cache serving EDS, the snapshot has no endpoints. */
	#publish(): void {
		const versions: Record<string, string> = {
			[CLUSTER_TYPE_URL]: this.#version(CLUSTER_TYPE_URL),
			[LISTENER_TYPE_URL]: this.#version(LISTENER_TYPE_URL),
			[ROUTE_TYPE_URL]: this.#version(ROUTE_TYPE_URL),
		};
		const resources: Record<string, CachedResource[]> = {
			[CLUSTER_TYPE_URL]: this.clusters,
			[LISTENER_TYPE_URL]: this.listeners,
			[ROUTE_TYPE_URL]: this.routes,
		};
		if (this.linear === undefined) {
			versions[ENDPOINT_TYPE_URL] = this.#version(ENDPOINT_TYPE_URL);
			resources[ENDPOINT_TYPE_URL] = this.clas;
		}
		this.snapshots.setSnapshot(NODE_GROUP, createSnapshot(versions, resources));
	}

	doStep(fraction: number): Record<string, number> {
		if (this.linear !== undefined) throw new UsageError("/step is for snapshot scenarios");
		this.step++;
		const k = roundCount(fraction, this.cfg.clusters);
		for (let i = 0; i < k; i++) {
			this.clusterStep[i] = this.step;
			this.clusters[i] = this.#cluster(i);
		}
		this.typeVersion.set(CLUSTER_TYPE_URL, this.step);
		this.#publish();
		return { version: this.step };
	}

	doChurn(mode: string, fraction: number): Record<string, number> {
		if (this.linear !== undefined) throw new UsageError("/churn is for snapshot scenarios");
		if (mode !== "concentrated" && mode !== "spread") throw new UsageError("mode must be concentrated or spread");
		const { clusters: c, endpoints: k } = this.cfg;
		const e = roundCount(fraction, c * k);
		const touched = new Set<number>();
		for (let x = 0; x < e; x++) {
			const [i, j] = mode === "concentrated" ? [Math.floor(x / k), x % k] : [x % c, Math.floor(x / c)];
			this.gen[i * k + j] = (this.gen[i * k + j] ?? 0) + 1;
			touched.add(i);
		}
		for (const i of touched) this.clas[i] = this.#cla(i);
		this.step++;
		this.typeVersion.set(ENDPOINT_TYPE_URL, this.step);
		this.#publish();
		let genSum = 0;
		for (const g of this.gen) genSum += g;
		return { version: this.step, genSum };
	}

	doEdsUpdate(i: number): Record<string, number> {
		const linear = this.linear;
		if (linear === undefined) throw new UsageError("/eds-update is for the churn scenario");
		if (!(Number.isInteger(i) && i >= 0 && i < this.cfg.clusters)) throw new UsageError("cluster out of range");
		const k = this.cfg.endpoints;
		const u = this.edsUpdates[i] ?? 0;
		this.gen[i * k + (u % k)] = (this.gen[i * k + (u % k)] ?? 0) + 1;
		this.edsUpdates[i] = u + 1;
		this.step++;
		const cla = this.#cla(i);
		this.clas[i] = cla;
		linear.updateResource(cla);
		return { version: this.step, cluster: i, updates: u + 1 };
	}

	stats(gc: boolean) {
		const collect = (globalThis as { gc?: () => void }).gc;
		const gcForced = gc && typeof collect === "function";
		if (gcForced) collect();
		return { server: "xdskit", ...processStats(counters), gcForced, encodeCounted: "instrumented", version: this.step };
	}
}

// Not `import * as http`: on Node 26 importing node:http as an ES module evaluates undici's
// lazy exports (see @xdskit/server's listen-xds.ts), which would count as our start-up.
const http: typeof httpTypes = process.getBuiltinModule?.("node:http") ?? (await import("node:http"));

// The diagnostics module only when a variable asks for one of its tools (see the header).
const wantsDiagnostics = ["XDSKIT_BENCH_LOOP_STATS", "XDSKIT_BENCH_CPU_PROFILE", "XDSKIT_BENCH_ALLOC_PROFILE", "XDSKIT_BENCH_HEAP_SNAPSHOT"].some((v) => process.env[v]);
const diagnostics = wantsDiagnostics ? await import("./diagnostics.js") : undefined;
const loopStats = process.env.XDSKIT_BENCH_LOOP_STATS ? (diagnostics && new diagnostics.LoopStats()) : undefined;

function controlServer(state: BenchState, profiler: WindowProfiler | undefined, group: WorkerGroup | undefined): httpTypes.Server {
	return http.createServer((req, res) => {
		const reply = (status: number, body: unknown) => {
			const text = `${JSON.stringify(body)}\n`;
			res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
			res.end(text);
		};
		const url = new URL(req.url ?? "/", "http://127.0.0.1");
		const q = url.searchParams;
		const float = (name: string, def: number): number => {
			const s = q.get(name);
			if (s === null || s === "") return def;
			const f = Number(s);
			return Number.isFinite(f) ? f : def;
		};
		// A change is answered once applied where clients are served: by a worker group, once every worker applied it (see syncWorkers).
		const applied = (body: unknown): void => {
			if (group === undefined) {
				reply(200, body);
				return;
			}
			syncWorkers().then(
				() => reply(200, body),
				(error: unknown) => reply(500, { error: String(error) }),
			);
		};
		const route = `${req.method} ${url.pathname}`;
		// Drain the (empty) request body before answering.
		req.resume();
		try {
			switch (route) {
				case "POST /step":
					return applied(state.doStep(float("fraction", 0.1)));
				case "POST /churn":
					return applied(state.doChurn(q.get("mode") ?? "", float("fraction", 0.01)));
				case "POST /eds-update": {
					const s = q.get("cluster") ?? "";
					if (!/^-?\d+$/.test(s)) return reply(400, { error: "cluster must be an integer" });
					return applied(state.doEdsUpdate(Number(s)));
				}
				case "GET /stats": {
					if (group !== undefined) {
						workerGroupStats(group, state.stats(q.get("gc") === "1"), q.get("gc") === "1").then(
							(stats) => reply(200, stats),
							(error: unknown) => reply(500, { error: String(error) }),
						);
						return;
					}
					const stats = state.stats(q.get("gc") === "1");
					profiler?.toggle(state.cfg.scenario);
					loopStats?.toggle(state.cfg.scenario);
					const heapDir = process.env.XDSKIT_BENCH_HEAP_SNAPSHOT;
					if (heapDir && q.get("gc") === "1") {
						diagnostics?.heapSnapshot(heapDir, state.cfg.scenario);
					}
					return reply(200, stats);
				}
				case "POST /quit":
					res.once("finish", () => setTimeout(() => void (group?.close() ?? Promise.resolve()).finally(() => process.exit(0)), 50));
					return reply(200, {});
				default:
					return reply(404, { error: `no route ${route}` });
			}
		} catch (error) {
			if (error instanceof UsageError) return reply(400, { error: error.message });
			process.stderr.write(`control ${route}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
			return reply(500, { error: String(error) });
		}
	});
}

async function observability() {
	const [{ PrometheusExporter, PrometheusSerializer }, { MeterProvider }] = await Promise.all([
		import("@opentelemetry/exporter-prometheus"),
		import("@opentelemetry/sdk-metrics"),
	]);
	const exporter = new PrometheusExporter({ preventServerStart: true });
	return { exporter, serializer: new PrometheusSerializer(), meterProvider: new MeterProvider({ readers: [exporter] }) };
}

/**
 * Runs the bench server on `cfg` (parsed by server.ts). `heldPort`: the gRPC port, bound by the
 * entry point before this module loaded (a single process only; workers listen through the group).
 */
export async function main(cfg: Config, heldPort?: HeldPort): Promise<void> {
	if (cfg.workers > 0 && cluster.isWorker) return worker(cfg);
	const state = new BenchState(cfg);
	if (cfg.workers > 0) {
		const feeds = state.linear === undefined ? { snapshots: state.snapshots } : { snapshots: state.snapshots, linear: state.linear };
		const group = await listenWorkers({ workers: cfg.workers, feeds, port: cfg.port, host: "0.0.0.0" });
		return control(state, group.port, group);
	}
	const listener = await serve(state.cache, cfg, cfg.port, heldPort);
	return control(state, listener.port, undefined);
}

/** A worker of --workers: followers of the primary's caches, served as the single process serves its own. */
async function worker(cfg: Config): Promise<void> {
	const followed = await followPrimary(
		cfg.scenario === "churn"
			? { snapshots: (s: never) => followSnapshotCache(s, { ads: true, nodeHash: byNodeCluster }), linear: followLinearCache }
			: { snapshots: (s: never) => followSnapshotCache(s, { ads: true, nodeHash: byNodeCluster }) },
	);
	const { snapshots, linear } = followed.caches as { snapshots: SnapshotCache; linear?: LinearCache };
	const listener = await serve(linear === undefined ? snapshots : churnMux(snapshots, linear), cfg, followed.port);
	followed.onClose(() => listener.close());
	answerStats(counters);
}

async function serve(cache: Cache, cfg: Config, port: number, heldPort?: HeldPort) {
	// Loaded only with --observe: the OpenTelemetry SDK is no part of the plain server's start-up.
	const observed = cfg.observe ? await observability() : undefined;
	const xds = createXdsServer(cache, {
		rest: false,
		csds: cfg.observe,
		meterProvider: observed?.meterProvider,
		callbacks: {
			onStreamOpen: () => {
				counters.streams++;
			},
			onStreamClosed: () => {
				counters.streams--;
			},
			onStreamResponse: (_stream, _request, response) => {
				counters.responsesSent++;
				counters.resourcesSent += response.resources.length;
			},
			onStreamDeltaResponse: (_stream, _request, response) => {
				counters.responsesSent++;
				counters.resourcesSent += response.resources.length;
			},
		},
	});
	const listener = await xds.listen(heldPort === undefined ? { host: "0.0.0.0", port } : { heldPort });
	if (observed !== undefined) {
		const { exporter, serializer } = observed;
		setInterval(() => {
			exporter.collect().then(
				({ resourceMetrics }) => void serializer.serialize(resourceMetrics),
				() => undefined,
			);
			void xds.context.clientStatus();
		}, 1000).unref();
	}
	return listener;
}

async function control(state: BenchState, grpcPort: number, group: WorkerGroup | undefined): Promise<void> {
	const cfg = state.cfg;
	const profileDir = process.env.XDSKIT_BENCH_CPU_PROFILE;
	const allocDir = process.env.XDSKIT_BENCH_ALLOC_PROFILE;
	const profiler =
		diagnostics === undefined
			? undefined
			: profileDir
				? new diagnostics.WindowProfiler(profileDir, false)
				: allocDir
					? new diagnostics.WindowProfiler(allocDir, true)
					: undefined;
	const server = controlServer(state, profiler, group);
	server.listen(cfg.controlPort, "127.0.0.1");
	await once(server, "listening");
	const controlPort = (server.address() as AddressInfo).port;
	process.stdout.write(`READY ${grpcPort} ${controlPort}\n`);
}

