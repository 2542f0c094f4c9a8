// --workers N of the bench server: the figures of every process of a worker group, summed. The
// load generator reads server CPU from two /stats calls, so the primary asks each worker for
// its own (process.cpuUsage, memory, response counters) over the cluster IPC channel and adds
// them to its own: the CPU of the whole group, as `ps` would sum it.
import cluster, { type Worker } from "node:cluster";
import type { WorkerGroup } from "@xdskit/server";

/** The response counters of one process. */
export interface Counters {
	encodeCalls: number;
	responsesSent: number;
	resourcesSent: number;
	streams: number;
}

/** This process's CPU, memory and counters. */
export function processStats(counters: Counters) {
	const cpu = process.cpuUsage();
	const mem = process.memoryUsage();
	return {
		cpuUserMs: cpu.user / 1000,
		cpuSystemMs: cpu.system / 1000,
		rssBytes: mem.rss,
		heapBytes: mem.heapUsed + mem.external,
		encodeCalls: counters.encodeCalls,
		responsesSent: counters.responsesSent,
		resourcesSent: counters.resourcesSent,
		streams: counters.streams,
	};
}

type ProcessStats = ReturnType<typeof processStats>;
const STATS = "xdskit.bench.stats";

/** Worker side: answers the primary's stats requests. */
export function answerStats(counters: Counters): void {
	process.on("message", (message: { kind?: string; id?: number; gc?: boolean }) => {
		if (message?.kind !== STATS) return;
		const collect = (globalThis as { gc?: () => void }).gc;
		if (message.gc === true && typeof collect === "function") collect();
		process.send?.({ kind: STATS, id: message.id, stats: processStats(counters) });
	});
}

let nextId = 0;

function ask(worker: Worker, gc: boolean): Promise<ProcessStats> {
	const id = ++nextId;
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			worker.off("message", onMessage);
			reject(new Error(`worker ${worker.process.pid} did not answer /stats within 10 s`));
		}, 10_000);
		const onMessage = (message: { kind?: string; id?: number; stats?: ProcessStats }) => {
			if (message?.kind !== STATS || message.id !== id || message.stats === undefined) return;
			clearTimeout(timer);
			worker.off("message", onMessage);
			resolve(message.stats);
		};
		worker.on("message", onMessage);
		worker.send({ kind: STATS, id, gc });
	});
}

/** The primary's stats plus every worker's: CPU, memory and response counters summed; marshals are the primary's. */
export async function workerGroupStats<T extends ProcessStats>(group: WorkerGroup, own: T, gc: boolean) {
	const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
	const each = await Promise.all(workers.map((w) => ask(w, gc)));
	const sum = (key: keyof ProcessStats) => own[key] + each.reduce((total, s) => total + s[key], 0);
	return {
		...own,
		cpuUserMs: sum("cpuUserMs"),
		cpuSystemMs: sum("cpuSystemMs"),
		rssBytes: sum("rssBytes"),
		heapBytes: sum("heapBytes"),
		responsesSent: sum("responsesSent"),
		resourcesSent: sum("resourcesSent"),
		streams: sum("streams"),
		workers: each.length,
		restarts: group.restarts(),
		perProcessCpuMs: [own.cpuUserMs + own.cpuSystemMs, ...each.map((s) => s.cpuUserMs + s.cpuSystemMs)],
	};
}
