// Start-up of our bench server, process spawn -> READY, for one or more builds, runs interleaved
// (so that a change in the machine's load hits every build alike): wall ms as the driver measures
// `startMs`, CPU ms at READY, modules and generated descriptor files loaded (src/startup-trace.mjs).
//
//   node --import tsx src/startup-compare.ts [--runs 9] [--node <bin>] <bench dir>...
//
// Each <bench dir> is a bench/ with dist/ built (this one: `.`; another commit: an export of it,
// built). Prints the median and min-max of each figure per build, and the load average.

import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";

interface Figures {
	wallMs: number;
	cpuMs: number;
	uptimeMs: number;
	modules: number;
	generated: number;
	heapMiB: number;
}

const args = process.argv.slice(2);
let runs = 9;
let node = process.execPath;
const dirs: string[] = [];
for (let i = 0; i < args.length; i++) {
	const arg = args[i] ?? "";
	if (arg === "--runs") runs = Number(args[++i]);
	else if (arg === "--node") node = args[++i] ?? node;
	else dirs.push(path.resolve(arg));
}
if (dirs.length === 0) dirs.push(process.cwd());
const trace = new URL("./startup-trace.mjs", import.meta.url).pathname;

function once(dir: string): Promise<Figures> {
	const spawnedAt = performance.now();
	const child = spawn(
		node,
		["--expose-gc", "--import", trace, path.join(dir, "dist/servers/xdskit/server.js"), "--scenario", "reconnect", "--port", "0", "--control-port", "0"],
		{ cwd: dir, env: { ...process.env, STARTUP_EXIT: "1" }, stdio: ["ignore", "pipe", "pipe"] },
	);
	let wallMs = Number.NaN;
	let stderr = "";
	child.stdout.on("data", (chunk: Buffer) => {
		if (Number.isNaN(wallMs) && chunk.toString().startsWith("READY")) wallMs = Math.round(performance.now() - spawnedAt);
	});
	child.stderr.on("data", (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
		child.once("exit", () => {
			clearTimeout(timer);
			const line = /^STARTUP (.*)$/m.exec(stderr);
			if (line?.[1] === undefined) return reject(new Error(`${dir}: no STARTUP line\n${stderr}`));
			resolve({ wallMs, ...(JSON.parse(line[1]) as Omit<Figures, "wallMs">) });
		});
	});
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const before = loadavg().map((x) => x.toFixed(1)).join(" / ");
const results = new Map<string, Figures[]>(dirs.map((d) => [d, []]));
for (const dir of dirs) await once(dir); // warm the module compile cache of each build
for (let r = 0; r < runs; r++) for (const dir of dirs) results.get(dir)?.push(await once(dir));
const after = loadavg().map((x) => x.toFixed(1)).join(" / ");
console.log(`${runs} runs each, interleaved, on ${node} (load average ${before} before, ${after} after)`);
for (const [dir, all] of results) {
	const cell = (key: keyof Figures) => {
		const xs = all.map((f) => f[key]);
		return `${median(xs)} (${Math.min(...xs)}-${Math.max(...xs)})`;
	};
	console.log(`${dir}\n  wall ms ${cell("wallMs")}, cpu ms ${cell("cpuMs")}, modules ${cell("modules")}, generated ${cell("generated")}, heap MiB ${cell("heapMiB")}`);
}
