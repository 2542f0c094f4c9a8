// Benchmark driver: builds the Go peer and load generator, runs every scenario of
// bench/SCENARIOS.md against the go-control-plane peer and (when configured) our server,
// prints a table and writes bench/results/{<timestamp>,latest}.json and latest.svg.
//
//   pnpm bench                 full run, 3 runs per case
//   pnpm bench:smoke           1 run, tiny sizes (CI)
//   flags: --runs N  --only fanout-1000,idle-1000  --skip fanout-5000  --servers go|ours|ours+obs|ours+w2|go,ours
//          (ours+w2: our server with --workers 2, a primary and two node:cluster workers on one port,
//          reported as ours+w2/ours and ours+w2/go; the smoke runs it on fanout, churn and reconnect)
//          (ours+obs: our server with --observe, metrics and client status read: the cost of
//          observability, reported as ours+obs/ours beside ours/go; runs of the servers alternate)
//   XDSKIT_BENCH_BEFORE=<command>: a second build of our server (another commit, compiled the same
//   way) as the server "before", for --servers before,ours: reported as ours/before.
//          --node lts|26|24|22|self|<path>   the node our server runs on (default: lts)
//          --baseline <report.json>   judge regressions against it (default: results/latest.json)
//          --latest   with --only / --skip: the selected cases (both servers, ≥ 3 runs) are written as latest.* too
//   Runs alternate between the servers (go, ours, go, ours, ...) so that a change in the machine's
//   load hits both; every run records the load average before and after it.
//   A partial run (--only, --skip, --servers, or fewer than 3 runs) writes only its timestamped
//   JSON, never latest.*, so the recorded full-run figures stay whole.
//
// The hostile case is fanout-1000 while 10 attackers (src/hostile-attackers.ts, from 127.0.0.2) cycle
// through every attack of issue 16 against the server under test, from before the load generator
// connects until it is done: our server on its defaults against go-control-plane on grpc-go's. Each
// attack is cut after 12 s (longer than our first-request deadline and HTTP/1.1 header timeout, so
// the tally shows whether the server closed the offender itself; not the 60 s write-stall timeout).
//
// The validate case is no server: @xdskit/validate (bench/validate, compiled with our server) and
// go-control-plane's ValidateAll() (bench/peers/validate) time validating one resource file.
//
// Our server is bench/servers/xdskit, compiled into bench/dist by this driver (tsc -p
// tsconfig.build.json; the @xdskit packages it imports must be built) and run with
// `node --expose-gc` (OURS_NODE_FLAGS) on the pinned current LTS Node
// (scripts/node.sh, fetched into .cache/node when missing), whatever node runs the driver;
// `--node` picks another pinned line, the driver's own node (`self`) or a binary. The report names
// the Node version and flags our server ran with.
// XDSKIT_BENCH_SERVER overrides the command (the server arguments of SCENARIOS.md section 3 are
// appended); set it to "" to run the go-control-plane peer alone.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as net from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Case, cases } from "./cases.js";
import { evaluateGoals, goalsTable } from "./goals.js";
import { type CaseResult, fmt, type RunResult, type ServerKey, type Summary, summarize, textTable } from "./results.js";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nodeScript = path.join(benchDir, "../scripts/node.sh");
const binDir = path.join(benchDir, ".bin");
const resultsDir = path.join(benchDir, "results");

function parseArgs(argv: string[]) {
	const opts = { smoke: false, runs: 0, only: [] as string[], skip: [] as string[], servers: [] as string[], node: "lts", baseline: "", latest: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === "--smoke") opts.smoke = true;
		else if (a === "--runs") opts.runs = Number(argv[++i]);
		else if (a === "--only") opts.only = (argv[++i] ?? "").split(",");
		else if (a === "--skip") opts.skip = (argv[++i] ?? "").split(",");
		else if (a === "--servers") opts.servers = (argv[++i] ?? "").split(",");
		else if (a === "--node") opts.node = argv[++i] ?? "";
		else if (a === "--baseline") opts.baseline = argv[++i] ?? "";
		else if (a === "--latest") opts.latest = true;
		else throw new Error(`unknown argument ${a}`);
	}
	if (opts.runs === 0) opts.runs = opts.smoke ? 1 : 3;
	return opts;
}

function log(msg: string): void {
	process.stderr.write(`[bench] ${msg}\n`);
}

function goBuild(dir: string, out: string): void {
	const t = Date.now();
	execFileSync("go", ["build", "-o", out, "."], { cwd: path.join(benchDir, dir), stdio: ["ignore", "inherit", "inherit"] });
	log(`built ${path.relative(benchDir, out)} in ${Date.now() - t} ms`);
}

interface NodeChoice {
	bin: string;
	version: string;
	/** How it was chosen: `pinned lts`, `the driver's own`, or `given`. */
	how: string;
}

// The node our server runs on: a pinned line of scripts/node.sh (fetched when missing), the
// driver's own, or a binary by path.
function chooseNode(choice: string): NodeChoice {
	let bin: string;
	let how: string;
	if (choice === "self") {
		bin = process.execPath;
		how = "the driver's own";
	} else if (choice.includes("/")) {
		bin = path.resolve(choice);
		how = "given";
	} else {
		bin = execFileSync("bash", [nodeScript, "path", choice], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
		how = `pinned ${choice}`;
	}
	const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
	return { bin, version, how };
}

// V8 flags our server runs with: Node's defaults. `--max-semi-space-size=16` (a young generation
// of two 16 MB semi-spaces instead of Node 26's two 32 MB here) took idle-1000's RSS per client
// from ~85 to ~57–65 KiB, but cost churn-1000 ~30 % more CPU and twice the p99 in 2 runs of 3 and
// churn-3000 its 100 updates/s (bench README, "Idle memory": the young generation); not adopted.
const OURS_NODE_FLAGS = ["--expose-gc"];

// Compiles our bench server and returns the command that starts it on `node`.
function buildOurs(node: NodeChoice): string {
	const t = Date.now();
	const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
	try {
		execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: benchDir, stdio: ["ignore", "inherit", "inherit"] });
	} catch {
		throw new Error("building bench/servers/xdskit failed; are the @xdskit packages built? (pnpm exec turbo run build --filter @xdskit/bench...)");
	}
	log(`built dist/servers/xdskit in ${Date.now() - t} ms`);
	return `'${node.bin}' ${OURS_NODE_FLAGS.join(" ")} '${path.join(benchDir, "dist/servers/xdskit/server.js")}'`;
}

// The code measured: the commit, and whether packages/ or bench/ differ from it. A copy without
// git (an export of a commit, to keep others' uncommitted work out of a run) sets XDSKIT_BENCH_COMMIT.
function codeVersion(): string {
	if (process.env.XDSKIT_BENCH_COMMIT) return process.env.XDSKIT_BENCH_COMMIT;
	try {
		const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: benchDir, encoding: "utf8" }).trim();
		const dirty = execFileSync("git", ["status", "--porcelain", "--", "../packages", "."], { cwd: benchDir, encoding: "utf8" })
			.split("\n")
			.some((l) => l.trim() !== "" && !l.includes("bench/results/"));
		return dirty ? `${head} + uncommitted changes` : head;
	} catch {
		return "unknown";
	}
}

function machine(node: string) {
	const cpus = os.cpus();
	let go = "unknown";
	try {
		go = execFileSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).trim();
	} catch {}
	return {
		cpuModel: cpus[0]?.model ?? "unknown",
		cores: cpus.length,
		memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		platform: `${os.platform()} ${os.release()}`,
		/** The Node version our server ran on. */
		node,
		driverNode: process.version,
		go,
	};
}

interface Server {
	proc: ChildProcess;
	grpcPort: number;
	controlPort: number;
	exited: Promise<void>;
	/** From spawning the process to its READY line (process start → listening), ms. */
	startMs: number;
	/** On a restart (named port): from spawning the process to the first TCP connection the port accepted, ms. */
	acceptMs: number | undefined;
}

/**
 * From `spawnedAt` to the first TCP connection `port` accepts: connects every 2 ms until one
 * succeeds (a restarted server may accept before READY: a held port). The probe connection is
 * closed at once. Gives up at `until` (resolving undefined).
 */
function firstAccept(port: number, spawnedAt: number, until: Promise<unknown>): Promise<number | undefined> {
	return new Promise((resolve) => {
		let done = false;
		void until.then(() => setTimeout(() => finish(undefined), 1000));
		const finish = (value: number | undefined) => {
			if (done) return;
			done = true;
			resolve(value);
		};
		const attempt = () => {
			if (done) return;
			const socket = net.connect(port, "127.0.0.1");
			socket.once("connect", () => {
				socket.destroy();
				finish(performance.now() - spawnedAt);
			});
			socket.once("error", () => {
				socket.destroy();
				setTimeout(attempt, 2);
			});
		};
		attempt();
	});
}

let oursCommand = "";

function serverCommand(key: ServerKey): { cmd: string; args: string[] } {
	if (key === "go") return { cmd: path.join(binDir, "gcp-peer"), args: [] };
	const line =
		key === "ours+obs" ? `${oursCommand} --observe` : key === "ours+w2" ? `${oursCommand} --workers 2` : key === "before" ? (process.env.XDSKIT_BENCH_BEFORE ?? "") : oursCommand;
	// exec so that signals reach the server itself, not a wrapping shell
	return { cmd: "sh", args: ["-c", `exec ${line} "$@"`, "xdskit-bench-server"] };
}

function startServer(key: ServerKey, scenario: string, extra: string[], ports = { grpc: 0, control: 0 }): Promise<Server> {
	const { cmd, args } = serverCommand(key);
	const all = [...args, "--scenario", scenario, "--port", String(ports.grpc), "--control-port", String(ports.control), ...extra];
	const spawnedAt = performance.now();
	const proc = spawn(cmd, all, { cwd: benchDir, stdio: ["ignore", "pipe", "inherit"] });
	const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
	let markReady: () => void = () => {};
	const ready = new Promise<void>((resolve) => {
		markReady = resolve;
	});
	const accepted = ports.grpc === 0 ? Promise.resolve(undefined) : firstAccept(ports.grpc, spawnedAt, Promise.race([ready, exited]));
	const started = new Promise<Omit<Server, "acceptMs">>((resolve, reject) => {
		const timer = setTimeout(() => {
			proc.kill("SIGKILL");
			reject(new Error(`${key} server did not print READY within 60 s`));
		}, 60_000);
		const early = (code: number | null) => {
			clearTimeout(timer);
			reject(new Error(`${key} server exited (${code}) before READY`));
		};
		proc.once("exit", early);
		if (!proc.stdout) return reject(new Error("no stdout"));
		const rl = createInterface({ input: proc.stdout });
		rl.on("line", (line) => {
			const m = /^READY (\d+) (\d+)$/.exec(line.trim());
			if (!m) return;
			clearTimeout(timer);
			proc.off("exit", early);
			rl.close();
			resolve({ proc, grpcPort: Number(m[1]), controlPort: Number(m[2]), exited, startMs: performance.now() - spawnedAt });
			markReady();
		});
	});
	return started.then(async (server) => ({ ...server, acceptMs: await accepted }));
}

async function stopServer(s: Server): Promise<void> {
	if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
	try {
		await fetch(`http://127.0.0.1:${s.controlPort}/quit`, { method: "POST", signal: AbortSignal.timeout(5000) });
	} catch {}
	const killer = setTimeout(() => s.proc.kill("SIGKILL"), 5000);
	await s.exited;
	clearTimeout(killer);
}

function minimum(values: unknown): number {
	const v = Array.isArray(values) ? (values as number[]) : [];
	return v.length === 0 ? Number.NaN : Math.min(...v);
}

function median(values: unknown): number {
	const v = (Array.isArray(values) ? (values as number[]) : []).slice().sort((a, b) => a - b);
	return v.length === 0 ? Number.NaN : v.length % 2 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
}

let validateFile = "";
// The node our validate program runs on: the one our server runs on (the driver's own when
// XDSKIT_BENCH_SERVER sets the server command).
let oursNode = process.execPath;

// One run of the validate case: a fresh process that loads the file, warms up, times N passes
// and reports every pass; the run's figure is the median pass.
function runValidate(key: ServerKey, c: Case, timeoutMs: number): RunResult {
	if (validateFile === "") {
		if (!existsSync(path.join(benchDir, "dist/validate/bench.js"))) buildOurs({ bin: oursNode, version: "", how: "" });
		validateFile = path.join(binDir, "validate-resources.bin");
		execFileSync(oursNode, [path.join(benchDir, "dist/validate/bench.js"), "write", "--out", validateFile, ...c.serverArgs], { stdio: "inherit" });
	}
	const passes = c.loadgenArgs[c.loadgenArgs.indexOf("--passes") + 1] ?? "20";
	const warmup = c.loadgenArgs[c.loadgenArgs.indexOf("--warmup") + 1] ?? "10";
	const [cmd, args] =
		key === "go"
			? [path.join(binDir, "validate-peer"), ["bench", "-in", validateFile, "-passes", passes, "-warmup", warmup]]
			: [oursNode, [path.join(benchDir, "dist/validate/bench.js"), "bench", "--in", validateFile, "--passes", passes, "--warmup", warmup]];
	let out: Record<string, unknown>;
	try {
		out = JSON.parse(execFileSync(cmd, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "inherit"] })) as Record<string, unknown>;
	} catch (e) {
		return { scenario: c.scenario, ok: false, error: String(e), figures: {} };
	}
	const figures: Record<string, number> =
		key === "go"
			? {
					validateMs: median(out.validateAllMs),
					validateBestMs: minimum(out.validateAllMs),
					validateCpuMs: median(out.validateAllCpuMs),
					validateDeepMs: median(out.validateAllAnyMs),
					validateFreshCpuMs: median(out.validateFreshCpuMs),
					marshalMs: median(out.marshalMs),
				}
			: {
					validateMs: median(out.validateMs),
					validateBestMs: minimum(out.validateMs),
					validateCpuMs: median(out.validateCpuMs),
					validateDeepMs: median(out.validateMs),
					validateFreshCpuMs: median(out.validateFreshCpuMs),
					marshalMs: median(out.marshalMs),
					snapshotMs: median(out.snapshotMs),
					firstValidateMs: Number(out.firstValidateMs),
				};
	const failures =
		key === "go"
			? Number(out.validateAllMsFailures) + Number(out.validateFreshMsFailures)
			: Number(out.validateFailures) + Number(out.validateFreshFailures);
	const ok = failures === 0 && Object.values(figures).every((v) => Number.isFinite(v));
	return { scenario: c.scenario, ok, ...(ok ? {} : { error: `${failures} resources failed validation` }), figures, details: { resources: out.resources, passes: out.passes } };
}

async function runOnce(key: ServerKey, c: Case, timeoutMs: number): Promise<RunResult> {
	if (c.scenario === "validate") return runValidate(key, c, timeoutMs);
	let server = await startServer(key, c.scenario, c.serverArgs);
	let restartMs: number | undefined;
	let restartAcceptMs: number | undefined;
	const attackers = c.attackers === undefined ? undefined : await startAttackers(server.grpcPort, c.attackers);
	const args = [
		"--scenario", c.scenario,
		"--target", `127.0.0.1:${server.grpcPort}`,
		"--control", `127.0.0.1:${server.controlPort}`,
		...c.loadgenArgs,
	];
	const lg = spawn(path.join(binDir, "loadgen"), args, { stdio: ["pipe", "pipe", "pipe"] });
	let stdout = "";
	lg.stdout.on("data", (d: Buffer) => {
		stdout += d.toString();
	});
	const restart = async () => {
		// The same ports again (SCENARIOS.md 5.5: clients reconnect to the address they had). Both
		// were bound as port 0 and read back; in between, the connections the killed server held
		// (every client's, and the load generator's control connection) linger in FIN_WAIT2 /
		// TIME_WAIT on those ports, and Linux gives neither another bind(0) nor an outgoing
		// connection a port that still has sockets. The restart names the port and sets
		// SO_REUSEADDR (node and Go do on listeners), which lingering sockets do not stop.
		const ports = { grpc: server.grpcPort, control: server.controlPort };
		server.proc.kill("SIGKILL");
		await server.exited;
		server = await startServer(key, c.scenario, [...c.serverArgs, "--initial-version", "2"], ports);
		restartMs = server.startMs;
		restartAcceptMs = server.acceptMs;
		lg.stdin.write("GO\n");
	};
	createInterface({ input: lg.stderr }).on("line", (line) => {
		if (line.trim() === "EVENT restart") {
			restart().catch((e: unknown) => {
				log(`restart failed: ${String(e)}`);
				lg.kill("SIGKILL");
			});
			return;
		}
		process.stderr.write(`  ${line}\n`);
	});
	const timer = setTimeout(() => lg.kill("SIGKILL"), timeoutMs);
	const code = await new Promise<number | null>((resolve) => lg.once("close", (c) => resolve(c)));
	clearTimeout(timer);
	const attacks = attackers === undefined ? undefined : await attackers.stop();
	await stopServer(server);
	const last = stdout.trim().split("\n").pop() ?? "";
	try {
		const result = JSON.parse(last) as RunResult;
		// Process start → listening: the restart in the reconnect storm (SCENARIOS.md 5.5), the first start otherwise.
		if (c.scenario === "reconnect" && result.ok) {
			result.figures.startMs = restartMs ?? Number.NaN;
			// Process start → the port accepting connections (before READY when the server holds its port).
			result.figures.acceptMs = restartAcceptMs ?? Number.NaN;
		}
		return attacks === undefined ? result : { ...result, details: { ...result.details, attacks } };
	} catch {
		return { scenario: c.scenario, ok: false, error: `loadgen exited ${code} without a result`, figures: {} };
	}
}

// The attackers of the hostile case: resolves once every loop is attacking (its ATTACKING line);
// stop() ends them and returns their tally (runs per attack, how many the server closed itself).
async function startAttackers(grpcPort: number, count: number): Promise<{ stop(): Promise<unknown> }> {
	const proc = spawn(process.execPath, ["--import", "tsx", path.join(benchDir, "src/hostile-attackers.ts"), "--target", `127.0.0.1:${grpcPort}`, "--attackers", String(count), "--attack-ms", "12000"], {
		cwd: benchDir,
		stdio: ["ignore", "pipe", "inherit"],
	});
	const lines = createInterface({ input: proc.stdout });
	let tally: unknown;
	const attacking = new Promise<void>((resolve, reject) => {
		proc.once("exit", (code) => reject(new Error(`attackers exited (${code}) before attacking`)));
		lines.on("line", (line) => {
			if (line === "ATTACKING") resolve();
			else if (line.startsWith("{")) tally = JSON.parse(line);
		});
	});
	await attacking;
	const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
	return {
		async stop() {
			proc.kill("SIGTERM");
			const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
			await exited;
			clearTimeout(killer);
			return tally;
		},
	};
}

function cell(s: Summary | undefined): string {
	return s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : "-";
}

function printTable(results: CaseResult[], oursAvailable: boolean): void {
	const extra = (["ours+obs", "ours+w2", "before"] as const).filter((k) => results.some((r) => r.servers[k] !== undefined));
	const selfRatios = [...new Set(results.flatMap((r) => Object.keys(r.selfRatio ?? {})))].sort();
	const rows: string[][] = [
		["case", "figure", "go-control-plane median (min–max)", "ours median (min–max)", "ours/go", ...extra.map((k) => `${k} median (min–max)`), ...selfRatios],
	];
	for (const r of results) {
		const figures = new Set(Object.values(r.servers).flatMap((server) => Object.keys(server?.figures ?? {})));
		for (const f of [...figures].sort()) {
			const ratio = r.ratio[f];
			rows.push([
				r.name,
				f,
				cell(r.servers.go?.figures[f]),
				oursAvailable ? cell(r.servers.ours?.figures[f]) : "n/a",
				ratio === undefined ? "-" : ratio.toFixed(2),
				...extra.map((k) => cell(r.servers[k]?.figures[f])),
				...selfRatios.map((name) => {
					const v = r.selfRatio?.[name]?.[f];
					return v === undefined ? "-" : v.toFixed(3);
				}),
			]);
		}
	}
	process.stdout.write(textTable(rows));
}

function escapeXml(s: string): string {
	return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// One row per key figure: bars for both servers scaled to the larger median of the two.
function svgChart(results: CaseResult[], cs: Case[], title: string): string {
	const rowH = 44;
	const labelW = 330;
	const barW = 420;
	const rows: { label: string; go?: number; ours?: number }[] = [];
	for (const r of results) {
		const keys = cs.find((c) => c.name === r.name)?.keyFigures ?? [];
		for (const k of keys) {
			const go = r.servers.go?.figures[k]?.median;
			const ours = r.servers.ours?.figures[k]?.median;
			if (go === undefined && ours === undefined) continue;
			rows.push({ label: `${r.name} · ${k}`, ...(go === undefined ? {} : { go }), ...(ours === undefined ? {} : { ours }) });
		}
	}
	const height = 60 + rows.length * rowH + 20;
	const width = labelW + barW + 120;
	const parts: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
		`<rect width="100%" height="100%" fill="white"/>`,
		`<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
		`<rect x="${labelW}" y="30" width="12" height="12" fill="#4e79a7"/><text x="${labelW + 16}" y="40">go-control-plane</text>`,
		`<rect x="${labelW + 140}" y="30" width="12" height="12" fill="#f28e2b"/><text x="${labelW + 156}" y="40">ours (xdskit)</text>`,
		`<text x="${labelW + 260}" y="40" fill="#666">median; lower is better</text>`,
	];
	rows.forEach((row, n) => {
		const y = 60 + n * rowH;
		const scale = Math.max(row.go ?? 0, row.ours ?? 0) || 1;
		parts.push(`<text x="10" y="${y + 18}">${escapeXml(row.label)}</text>`);
		const bar = (v: number | undefined, dy: number, color: string) => {
			if (v === undefined) {
				parts.push(`<text x="${labelW}" y="${y + dy + 12}" fill="#999">not available</text>`);
				return;
			}
			const w = Math.max(1, (Math.max(v, 0) / scale) * barW);
			parts.push(`<rect x="${labelW}" y="${y + dy}" width="${w.toFixed(1)}" height="16" fill="${color}"/>`);
			parts.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${y + dy + 12}">${escapeXml(fmt(v))}</text>`);
		};
		bar(row.go, 2, "#4e79a7");
		bar(row.ours, 20, "#f28e2b");
	});
	parts.push("</svg>");
	return `${parts.join("\n")}\n`;
}

// The report regressions are judged against: --baseline, else the last full run (results/latest.json).
function readBaseline(given: string): { label: string; cases: CaseResult[] } | undefined {
	const file = given === "" ? path.join(resultsDir, "latest.json") : path.resolve(given);
	if (!existsSync(file)) return undefined;
	const report = JSON.parse(readFileSync(file, "utf8")) as { code?: string; createdAt?: string; cases?: CaseResult[] };
	if (report.cases === undefined) return undefined;
	return { label: `${path.relative(process.cwd(), file)} (code ${report.code ?? "?"}, ${report.createdAt ?? "?"})`, cases: report.cases };
}

function writeAtomic(file: string, content: string): void {
	writeFileSync(`${file}.tmp`, content);
	renameSync(`${file}.tmp`, file);
}

async function main(): Promise<void> {
	const opts = parseArgs(process.argv.slice(2));
	const override = process.env.XDSKIT_BENCH_SERVER;
	const node = override === undefined ? chooseNode(opts.node) : undefined;
	const nodeLabel = node ? `node ${node.version} (${node.how}) ${OURS_NODE_FLAGS.join(" ")}` : "node: set by XDSKIT_BENCH_SERVER";
	const m = machine(node?.version ?? "set by XDSKIT_BENCH_SERVER");
	log(`machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.go}; our server on ${nodeLabel}`);
	mkdirSync(binDir, { recursive: true });
	goBuild("peers/go-control-plane", path.join(binDir, "gcp-peer"));
	goBuild("loadgen", path.join(binDir, "loadgen"));
	goBuild("peers/validate", path.join(binDir, "validate-peer"));

	oursCommand = node === undefined ? (override ?? "").trim() : buildOurs(node);
	if (node !== undefined) oursNode = node.bin;
	const oursAvailable = oursCommand !== "";
	const known: ServerKey[] = oursAvailable ? ["go", "before", "ours", "ours+obs", "ours+w2"] : ["go"];
	if (opts.servers.includes("before") && !process.env.XDSKIT_BENCH_BEFORE) throw new Error("--servers before needs XDSKIT_BENCH_BEFORE (the command of the other build)");
	const servers = known.filter((k) => (opts.servers.length === 0 ? k === "go" || k === "ours" : opts.servers.includes(k)));
	if (!oursAvailable) log("ours: not available (XDSKIT_BENCH_SERVER is empty)");

	const all = cases(opts.smoke).filter((c) => (opts.only.length === 0 || opts.only.includes(c.name)) && !opts.skip.includes(c.name));
	const timeoutMs = opts.smoke ? 60_000 : 15 * 60_000;
	const results: CaseResult[] = [];
	let failures = 0;
	for (const c of all) {
		const cr: CaseResult = { name: c.name, scenario: c.scenario, serverArgs: c.serverArgs, loadgenArgs: c.loadgenArgs, servers: {}, ratio: {} };
		// Runs alternate between the servers (go, ours, go, ours, ...), so that a change in the machine's load hits each alike.
		const caseServers = [...servers, ...(oursAvailable ? (c.extraServers ?? []) : []).filter((key) => !servers.includes(key))];
		const runsOf = new Map<ServerKey, RunResult[]>(caseServers.map((key) => [key, []]));
		for (let i = 0; i < opts.runs; i++) {
			for (const key of caseServers) {
				log(`${c.name} · ${key} · run ${i + 1}/${opts.runs} · load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
				const before = os.loadavg()[0] ?? 0;
				let r: RunResult;
				try {
					r = await runOnce(key, c, timeoutMs);
				} catch (e) {
					r = { scenario: c.scenario, ok: false, error: String(e), figures: {} };
				}
				r.load = { before, after: os.loadavg()[0] ?? 0 };
				if (!r.ok) {
					failures++;
					log(`${c.name} · ${key} · run ${i + 1} failed: ${r.error}`);
				}
				runsOf.get(key)?.push(r);
			}
		}
		for (const [key, runs] of runsOf) {
			const ok = runs.filter((r) => r.ok);
			const names = new Set(ok.flatMap((r) => Object.keys(r.figures)));
			const figures: Record<string, Summary> = {};
			for (const f of names) {
				figures[f] = summarize(ok.map((r) => r.figures[f]).filter((v): v is number => v !== undefined && !Number.isNaN(v)));
			}
			cr.servers[key] = { runs, figures };
		}
		// Our server against itself: observability on against off, and this build against another.
		for (const [name, over, under] of [
			["ours+obs/ours", "ours+obs", "ours"],
			["ours/before", "ours", "before"],
			["ours+w2/ours", "ours+w2", "ours"],
			["ours+w2/go", "ours+w2", "go"],
		] as const) {
			const a = cr.servers[over]?.figures;
			const b = cr.servers[under]?.figures;
			if (a === undefined || b === undefined) continue;
			const ratios: Record<string, number> = {};
			for (const f of Object.keys(b)) {
				const x = a[f]?.median;
				const y = b[f]?.median;
				if (x !== undefined && y !== undefined && y !== 0) ratios[f] = x / y;
			}
			cr.selfRatio = { ...cr.selfRatio, [name]: ratios };
		}
		const go = cr.servers.go?.figures ?? {};
		const ours = cr.servers.ours?.figures ?? {};
		for (const f of Object.keys(go)) {
			const a = ours[f]?.median;
			const b = go[f]?.median;
			if (a !== undefined && b !== undefined && b !== 0) cr.ratio[f] = a / b;
		}
		results.push(cr);
	}

	process.stdout.write(`\nmachine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.go}; our server on ${nodeLabel}\n`);
	process.stdout.write(`runs per case: ${opts.runs}${opts.smoke ? " (smoke)" : ""}; ours: ${oursAvailable ? oursCommand : "not available"}\n\n`);
	printTable(results, oursAvailable);
	const loads = results.flatMap((r) => Object.values(r.servers).flatMap((s) => s.runs.flatMap((x) => (x.load ? [x.load.before, x.load.after] : []))));
	process.stdout.write(`machine load (1-min average) over the runs: ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}; at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(" / ")} (1 / 5 / 15 min)\n`);

	// The smoke's tiny cases have no baseline unless one is given.
	const baseline = opts.smoke && opts.baseline === "" ? undefined : readBaseline(opts.baseline);
	const goals = oursAvailable ? evaluateGoals(results, baseline?.cases) : [];
	if (goals.length > 0) process.stdout.write(`\ngoals (issue 17)\n${goalsTable(goals, baseline?.label)}`);

	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	const code = codeVersion();
	process.stdout.write(`code: ${code}\n`);
	const report = {
		createdAt: new Date().toISOString(),
		smoke: opts.smoke,
		runs: opts.runs,
		code,
		machine: m,
		ours: oursAvailable ? oursCommand : null,
		command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
		cases: results,
		goals,
		baseline: baseline?.label ?? null,
	};
	mkdirSync(resultsDir, { recursive: true });
	const json = `${JSON.stringify(report, null, 2)}\n`;
	const chart = svgChart(results, all, `xdskit vs go-control-plane — ${m.cpuModel}, ${m.cores} cores, node ${m.node}${opts.smoke ? " (smoke)" : ""}`);
	// Smoke runs (CI, tests) must not overwrite the figures people recorded with full runs.
	// --latest: a run of some cases (--only / --skip) counts as the recorded one when it has both servers and ≥ 3 runs.
	const partial = (!opts.latest && (opts.only.length > 0 || opts.skip.length > 0)) || opts.servers.length > 0 || opts.runs < 3;
	const written = opts.smoke ? ["smoke.json", "smoke.svg"] : partial ? [`${stamp}.json`] : [`${stamp}.json`, "latest.json", "latest.svg"];
	for (const name of written) writeAtomic(path.join(resultsDir, name), name.endsWith(".svg") ? chart : json);
	process.stdout.write(`\nwrote ${written.map((n) => `bench/results/${n}`).join(", ")}\n`);
	if (failures > 0) {
		process.stderr.write(`${failures} run(s) failed\n`);
		process.exitCode = 1;
	}
}

main().catch((e: unknown) => {
	process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
	process.exit(1);
});
