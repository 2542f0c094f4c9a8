import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Keeps the harness from rotting: builds both Go programs and our server, runs every scenario at
// tiny sizes against both servers.
test("bench:smoke runs every scenario end to end against the go-control-plane peer and ours", async () => {
	// Our server as the driver builds it by default, whatever the environment says.
	const env = { ...process.env };
	delete env.XDSKIT_BENCH_SERVER;
	// Asynchronous: a minutes-long spawnSync blocks the vitest worker, which then fails the run
	// ("Timeout calling onTaskUpdate") on a loaded machine.
	const run = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/run.ts", "--smoke"], {
		cwd: benchDir,
		env,
		encoding: "utf8",
		timeout: 240_000,
		maxBuffer: 64 * 1024 * 1024,
	}).then(
		() => ({ status: 0, stderr: "" }),
		(error: { code?: number; stderr?: string }) => ({ status: error.code ?? 1, stderr: error.stderr ?? String(error) }),
	);
	expect(run.status, run.stderr.slice(-4000)).toBe(0);
	const report = JSON.parse(readFileSync(path.join(benchDir, "results/smoke.json"), "utf8")) as {
		ours: string | null;
		machine: { node: string };
		cases: { name: string; servers: Record<"go" | "ours" | "ours+w2", { runs: { ok: boolean; figures: Record<string, number> }[] } | undefined> }[];
		goals: { case: string; status: string }[];
	};
	expect(report.cases.map((c) => c.name)).toEqual([
		"fanout-20",
		"idle-20",
		"churn-20",
		"bytes-5",
		"reconnect-20",
		"fanout-10000-tiny",
		"churn-5000-tiny",
		"validate-42",
	]);
	expect(report.ours).toContain("servers/xdskit/server.js");
	// By default our server runs on the pinned current LTS, whatever node runs the driver, and the report says so.
	const lts = execFileSync("bash", [path.join(benchDir, "../scripts/node.sh"), "version", "lts"], { encoding: "utf8" }).trim();
	expect(report.machine.node).toBe(`v${lts}`);
	expect(report.ours).toContain(`/.cache/node/${lts}/`);
	// The figures the goals are judged on are reported by both servers (issue 17's scale figures included).
	const figures = (name: string, server: "go" | "ours") => Object.keys(report.cases.find((c) => c.name === name)?.servers[server]?.runs[0]?.figures ?? {});
	for (const server of ["go", "ours"] as const) {
		expect(figures("fanout-10000-tiny", server)).toEqual(expect.arrayContaining(["firstAckMs", "convergeMs", "serverCpuS"]));
		expect(figures("churn-5000-tiny", server)).toEqual(expect.arrayContaining(["updatesPerS", "p50Ms", "p99Ms"]));
		expect(figures("reconnect-20", server)).toEqual(expect.arrayContaining(["startMs", "recoverMs"]));
		// Validation over the same objects again and over objects decoded anew before each pass.
		expect(figures("validate-42", server)).toEqual(expect.arrayContaining(["validateCpuMs", "validateFreshCpuMs"]));
	}
	expect(report.goals.map((g) => g.case)).toEqual(expect.arrayContaining(["fanout-10000-tiny", "churn-5000-tiny", "reconnect-20"]));
	// Our server as a worker group (--workers 2: a primary and two node:cluster workers on one port) on
	// fan-out, churn and reconnect (the primary killed and restarted): every run reaches its state.
	for (const name of ["fanout-20", "churn-20", "reconnect-20"]) {
		const runs = report.cases.find((c) => c.name === name)?.servers["ours+w2"]?.runs ?? [];
		expect(runs.length, `${name} ours+w2`).toBe(1);
		expect(runs.every((r) => r.ok), `${name} ours+w2`).toBe(true);
	}
	expect(Object.keys(report.cases.find((c) => c.name === "churn-20")?.servers["ours+w2"]?.runs[0]?.figures ?? {})).toEqual(
		expect.arrayContaining(["updatesPerS", "p50Ms", "p99Ms", "serverCpuPct"]),
	);
	for (const c of report.cases) {
		expect(c.servers.go?.runs.every((r) => r.ok), `${c.name} go`).toBe(true);
		expect(c.servers.ours?.runs.length, `${c.name} ours`).toBe(1);
		expect(c.servers.ours?.runs.every((r) => r.ok), `${c.name} ours`).toBe(true);
	}
}, 300_000);
