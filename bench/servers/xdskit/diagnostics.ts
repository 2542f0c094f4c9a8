// Diagnostics of the bench server, loaded only when an XDSKIT_BENCH_* variable asks for them (see
// bench-server.ts): node:inspector, node:perf_hooks and node:v8 then stay out of a measured start.
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";

/**
 * XDSKIT_BENCH_LOOP_STATS=1: from one /stats call to the next, the event loop's delay and the
 * garbage collector's pauses, written to stderr when the window closes (for latency analysis).
 */
export class LoopStats {
	#delay: IntervalHistogram | undefined;
	#pauses: number[] = [];
	#byKind = new Map<number, [number, number]>();
	readonly #observer = new PerformanceObserver((list) => {
		for (const entry of list.getEntries()) {
			this.#pauses.push(entry.duration);
			const kind = ((entry as { detail?: { kind?: number } }).detail)?.kind ?? 0;
			const [count, total] = this.#byKind.get(kind) ?? [0, 0];
			this.#byKind.set(kind, [count + 1, total + entry.duration]);
		}
	});

	toggle(scenario: string): void {
		if (this.#delay === undefined) {
			this.#delay = monitorEventLoopDelay({ resolution: 1 });
			this.#delay.enable();
			this.#pauses = [];
			this.#byKind = new Map();
			this.#observer.observe({ entryTypes: ["gc"] });
			return;
		}
		const delay = this.#delay;
		delay.disable();
		this.#observer.disconnect();
		this.#delay = undefined;
		const pauses = [...this.#pauses].sort((a, b) => a - b);
		const ms = (ns: number) => (ns / 1e6).toFixed(1);
		const at = (q: number) => (pauses[Math.min(pauses.length - 1, Math.floor(q * pauses.length))] ?? 0).toFixed(1);
		const total = pauses.reduce((a, b) => a + b, 0);
		process.stderr.write(
			`loop-stats ${scenario}: event-loop delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms; ` +
				`gc ${pauses.length} pauses, ${total.toFixed(0)} ms, p50 ${at(0.5)} p99 ${at(0.99)} max ${at(1)} ms; by kind (1 minor, 2 major, 4 incremental, 8 weak callbacks): ` +
				`${[...this.#byKind].map(([k, [n, t]]) => `${k}: ${n} × ${(t / n).toFixed(1)} ms`).join(", ")}; new space ${((getHeapSpaceStatistics().find((x) => x.space_name === "new_space")?.space_size ?? 0) / 2 ** 20).toFixed(0)} MiB\n`,
		);
	}
}

/**
 * Profiles from one /stats call to the next (see the header): CPU, or with `allocations` every
 * allocation (sampled, including objects the GC collected since), as a .heapprofile.
 */
export class WindowProfiler {
	readonly #dir: string;
	readonly #allocations: boolean;
	readonly #session = new Session();
	#running = false;
	#count = 0;

	constructor(dir: string, allocations: boolean) {
		this.#dir = dir;
		this.#allocations = allocations;
		mkdirSync(dir, { recursive: true });
		this.#session.connect();
		if (!allocations) {
			this.#session.post("Profiler.enable");
			this.#session.post("Profiler.setSamplingInterval", { interval: 200 });
		}
	}

	toggle(scenario: string): void {
		if (!this.#running) {
			this.#running = true;
			if (this.#allocations) {
				this.#session.post("HeapProfiler.startSampling", { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
			} else {
				this.#session.post("Profiler.start");
			}
			return;
		}
		this.#running = false;
		const base = `${this.#dir}/${scenario}-${process.pid}-${++this.#count}`;
		if (this.#allocations) {
			this.#session.post("HeapProfiler.stopSampling", (error, result) => {
				if (error) process.stderr.write(`profile: ${error.message}\n`);
				else writeFileSync(`${base}.heapprofile`, JSON.stringify(result.profile));
			});
			return;
		}
		this.#session.post("Profiler.stop", (error, result) => {
			if (error) process.stderr.write(`profile: ${error.message}\n`);
			else writeFileSync(`${base}.cpuprofile`, JSON.stringify(result.profile));
		});
	}
}

let heapSnapshots = 0;

/** XDSKIT_BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot of this process, numbered. */
export function heapSnapshot(dir: string, scenario: string): void {
	mkdirSync(dir, { recursive: true });
	writeHeapSnapshot(`${dir}/${scenario}-${process.pid}-${++heapSnapshots}.heapsnapshot`);
}
