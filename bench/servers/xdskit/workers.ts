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
const SYNC = "xdskit.bench.sync";

/** Worker side: answers the primary's stats requests, and its sync requests (see {@link syncWorkers}). */
export function answerStats(counters: Counters): void {
	process.on("message", (message: { kind?: string; id?: number; gc?: boolean }) => {
		if (message?.kind === SYNC) {
			process.send?.({ kind: SYNC, id: message.id });
			return;
		}
		if (message?.kind !== STATS) return;
		const collect = (globalThis as { gc?: () => void }).gc;
		if (message.gc === true && typeof collect === "function") collect();
		process.send?.({ kind: STATS, id: message.id, stats: processStats(counters) });
	});
}

let nextId = 0;

/**
 * Resolves once every worker has applied every change the primary forwarded so far: IPC is in
 * order, and a worker applies a change (answering the watches it makes answerable) when its
 * message arrives, before it reads the next. A control call that waits for this returns when the
 * update is applied where clients are served, as a single process's does; without it the primary
 * would accept updates at the offered rate whatever the workers keep up with.
 */
export async function syncWorkers(): Promise<void> {
	const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
	await Promise.all(workers.map((w) => request(w, { kind: SYNC }, () => undefined)));
}

function ask(worker: Worker, gc: boolean): Promise<ProcessStats> {
	return request(worker, { kind: STATS, gc }, (message) => message.stats);
}

function request<T>(worker: Worker, body: { kind: string; gc?: boolean }, read: (message: { stats?: ProcessStats }) => T | undefined): Promise<T> {
	const id = ++nextId;
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			worker.off("message", onMessage);
			reject(new Error(`worker ${worker.process.pid} did not answer ${body.kind} within 10 s`));
		}, 10_000);
		const onMessage = (message: { kind?: string; id?: number; stats?: ProcessStats }) => {
			if (message?.kind !== body.kind || message.id !== id) return;
			clearTimeout(timer);
			worker.off("message", onMessage);
			resolve(read(message) as T);
		};
		worker.on("message", onMessage);
		worker.send({ ...body, id });
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
