// Summarises V8 .cpuprofile files (node --cpu-prof, or our bench server's XDSKIT_BENCH_CPU_PROFILE):
// self time per function and per area (package), over all given profiles; or sampled allocation
// profiles (.heapprofile, XDSKIT_BENCH_ALLOC_PROFILE): bytes allocated per function and area.
//
//   node --import tsx src/profile-summary.ts [--top 30] <file.cpuprofile | file.heapprofile>...

import { readFileSync } from "node:fs";

interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
	columnNumber: number;
}

interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}

interface Profile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

/** Where a frame's code lives, coarsely: the thing a fix would touch. */
export function areaOf(frame: CallFrame): string {
	const { url, functionName } = frame;
	if (url === "") {
		if (functionName === "(garbage collector)") return "gc";
		if (functionName === "(idle)") return "idle";
		if (functionName === "(program)") return "program (native, unattributed)";
		return functionName.startsWith("(") ? functionName : "native / builtin";
	}
	const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (pkg?.[1] !== undefined) return pkg[1];
	const ws = /\/packages\/([^/]+)\//.exec(url);
	if (ws?.[1] !== undefined) return `@xdskit/${ws[1]}`;
	if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
	if (url.includes("/bench/")) return "bench server";
	return url;
}

function label(frame: CallFrame): string {
	const file = frame.url.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "").replace(/^file:\/\/.*\/(packages|bench)\//, "$1/");
	return `${frame.functionName || "(anonymous)"} ${file}${file ? `:${frame.lineNumber + 1}` : ""}`;
}

export function summarize(profiles: Profile[]): { totalMs: number; byFunction: Map<string, number>; byArea: Map<string, number> } {
	const byFunction = new Map<string, number>();
	const byArea = new Map<string, number>();
	let totalMs = 0;
	for (const p of profiles) {
		const nodes = new Map(p.nodes.map((n) => [n.id, n]));
		for (let i = 0; i < p.samples.length; i++) {
			// timeDeltas[i] is the time before sample i; attribute the gap to the sample after it.
			const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
			const node = nodes.get(p.samples[i] ?? -1);
			if (node === undefined) continue;
			totalMs += dt;
			const fn = label(node.callFrame);
			byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
			const area = areaOf(node.callFrame);
			byArea.set(area, (byArea.get(area) ?? 0) + dt);
		}
	}
	return { totalMs, byFunction, byArea };
}

interface HeapNode {
	callFrame: CallFrame;
	selfSize: number;
	children?: HeapNode[];
}

/** Bytes allocated (sampled) per function and area of sampling heap profiles. */
export function summarizeAllocations(profiles: { head: HeapNode }[]): { totalBytes: number; byFunction: Map<string, number>; byArea: Map<string, number> } {
	const byFunction = new Map<string, number>();
	const byArea = new Map<string, number>();
	let totalBytes = 0;
	const visit = (node: HeapNode) => {
		if (node.selfSize > 0) {
			totalBytes += node.selfSize;
			const fn = label(node.callFrame);
			byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
			const area = areaOf(node.callFrame);
			byArea.set(area, (byArea.get(area) ?? 0) + node.selfSize);
		}
		for (const child of node.children ?? []) visit(child);
	};
	for (const p of profiles) visit(p.head);
	return { totalBytes, byFunction, byArea };
}

function printAllocations(files: string[], top: number): void {
	const { totalBytes, byFunction, byArea } = summarizeAllocations(files.map((f) => JSON.parse(readFileSync(f, "utf8")) as { head: HeapNode }));
	const print = (title: string, m: Map<string, number>, n: number) => {
		process.stdout.write(`\n${title}\n`);
		for (const [k, bytes] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
			process.stdout.write(`${(bytes / 2 ** 20).toFixed(1).padStart(9)} MiB ${((100 * bytes) / totalBytes).toFixed(1).padStart(5)}%  ${k}\n`);
		}
	};
	process.stdout.write(`${files.length} allocation profile(s): ${(totalBytes / 2 ** 20).toFixed(1)} MiB allocated (sampled)\n`);
	print("allocated by area", byArea, 20);
	print("allocated by function", byFunction, top);
}

function main(): void {
	const args = process.argv.slice(2);
	let top = 30;
	const files: string[] = [];
	for (let i = 0; i < args.length; i++) {
		if (args[i] === "--top") top = Number(args[++i]);
		else files.push(args[i] ?? "");
	}
	if (files.length === 0) {
		process.stderr.write("usage: profile-summary [--top N] <file.cpuprofile>...\n");
		process.exit(2);
	}
	if (files.every((f) => f.endsWith(".heapprofile"))) {
		printAllocations(files, top);
		return;
	}
	const profiles = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as Profile);
	const { totalMs, byFunction, byArea } = summarize(profiles);
	const busyMs = totalMs - (byArea.get("idle") ?? 0);
	const pct = (ms: number) => `${((100 * ms) / busyMs).toFixed(1).padStart(5)}%`;
	const print = (title: string, m: Map<string, number>, n: number) => {
		process.stdout.write(`\n${title}\n`);
		for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
			if (k === "idle") continue;
			process.stdout.write(`${ms.toFixed(1).padStart(9)} ms ${pct(ms)}  ${k}\n`);
		}
	};
	process.stdout.write(`${files.length} profile(s): ${totalMs.toFixed(0)} ms sampled, ${busyMs.toFixed(0)} ms busy (not idle); % of busy\n`);
	print("self time by area", byArea, 20);
	print("self time by function", byFunction, top);
}

main();
