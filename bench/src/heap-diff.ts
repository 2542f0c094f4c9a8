// What grew between two V8 heap snapshots (our bench server's XDSKIT_BENCH_HEAP_SNAPSHOT), by
// object kind: self size and count per (node type, constructor/name), per client when given N.
//
//   node --import tsx src/heap-diff.ts before.heapsnapshot after.heapsnapshot [clients] [--top 30]

import { readFileSync } from "node:fs";

interface HeapSnapshot {
	snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
	nodes: number[];
	strings: string[];
}

function aggregate(file: string): Map<string, { size: number; count: number }> {
	const snap = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
	const fields = snap.snapshot.meta.node_fields;
	const types = snap.snapshot.meta.node_types[0];
	const width = fields.length;
	const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];
	const out = new Map<string, { size: number; count: number }>();
	for (let i = 0; i < snap.nodes.length; i += width) {
		const type = types[snap.nodes[i + iType] ?? 0] ?? "?";
		let name = snap.strings[snap.nodes[i + iName] ?? 0] ?? "?";
		// Strings and code are many distinct names: group them by type.
		if (type === "string" || type === "concatenated string" || type === "sliced string" || type === "code" || type === "number") name = "";
		if (name.length > 60) name = `${name.slice(0, 57)}...`;
		const key = `${type}${name ? ` ${name}` : ""}`;
		const entry = out.get(key) ?? { size: 0, count: 0 };
		entry.size += snap.nodes[i + iSize] ?? 0;
		entry.count++;
		out.set(key, entry);
	}
	return out;
}

function main(): void {
	const args = process.argv.slice(2);
	let top = 30;
	const rest: string[] = [];
	for (let i = 0; i < args.length; i++) {
		if (args[i] === "--top") top = Number(args[++i]);
		else rest.push(args[i] ?? "");
	}
	const [before, after, n] = rest;
	if (before === undefined || after === undefined) {
		process.stderr.write("usage: heap-diff before.heapsnapshot after.heapsnapshot [clients] [--top N]\n");
		process.exit(2);
	}
	const clients = Number(n ?? 1) || 1;
	const a = aggregate(before);
	const b = aggregate(after);
	const rows: [string, number, number][] = [];
	let total = 0;
	for (const [key, v] of b) {
		const w = a.get(key) ?? { size: 0, count: 0 };
		rows.push([key, v.size - w.size, v.count - w.count]);
		total += v.size - w.size;
	}
	for (const [key, w] of a) if (!b.has(key)) {
		rows.push([key, -w.size, -w.count]);
		total -= w.size;
	}
	rows.sort((x, y) => y[1] - x[1]);
	process.stdout.write(`JS heap growth: ${(total / 1024).toFixed(0)} KiB, ${(total / clients).toFixed(0)} bytes per client (${clients} clients)\n`);
	process.stdout.write("bytes/client  objects/client  kind\n");
	for (const [key, size, count] of rows.slice(0, top)) {
		process.stdout.write(`${(size / clients).toFixed(0).padStart(12)}  ${(count / clients).toFixed(1).padStart(14)}  ${key}\n`);
	}
}

main();
