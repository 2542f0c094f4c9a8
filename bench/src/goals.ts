// The goals of issue 17 ("ahead of go-control-plane on every case, and close to the floor"),
// evaluated on one run's results: each goal met or not, with the figure it was judged on.

import { loadgenArg } from "./cases.js";
import { type CaseResult, fmt, textTable } from "./results.js";

export type GoalStatus = "met" | "not met" | "not measured";

export interface GoalRow {
	goal: string;
	case: string;
	figure: string;
	go: number | undefined;
	ours: number | undefined;
	/** What was compared with the limit: a ratio to go-control-plane, a multiple of the floor, or the figure itself. */
	measured: number | undefined;
	limit: string;
	status: GoalStatus;
}

/** Copying one byte costs this much at ~1 GB/s (the socket-write figure for these 2 cores). */
const SECONDS_PER_BYTE = 1e-9;
/** Marshalling the 100 changed clusters of a fan-out step (makeCluster + marshalDeterministic, median of 20). */
const STEP_ENCODE_S = 0.0007;
/** The CDS response of the fan-out resource set, when a run does not report its size. */
const DEFAULT_CDS_BYTES = 89_063;

function median(r: CaseResult | undefined, server: "go" | "ours", figure: string): number | undefined {
	return r?.servers[server]?.figures[figure]?.median;
}

function status(measured: number | undefined, ok: (value: number) => boolean): GoalStatus {
	if (measured === undefined || Number.isNaN(measured)) return "not measured";
	return ok(measured) ? "met" : "not met";
}

/**
 * The CPU floor of a fan-out step: encode the changed clusters once, then copy one CDS response
 * per client at ~1 GB/s (bench/README.md "The physical floor of fan-out").
 */
export function fanoutFloorS(r: CaseResult): number {
	const clients = Number(loadgenArg(r, "--clients") ?? 0);
	const run = r.servers.ours?.runs.find((x) => x.ok) ?? r.servers.go?.runs.find((x) => x.ok);
	const bytes = Number(run?.details?.cdsResponseBytes ?? DEFAULT_CDS_BYTES) || DEFAULT_CDS_BYTES;
	return STEP_ENCODE_S + clients * bytes * SECONDS_PER_BYTE;
}

/**
 * Every goal that the given cases can judge. `baseline` is an earlier report (default: the last
 * full run); a figure is a regression when its ours/go ratio and our own figure both got worse by
 * more than 5 % against it (a ratio that moved only because Go's figure did is not ours).
 */
export function evaluateGoals(results: CaseResult[], baseline: CaseResult[] | undefined): GoalRow[] {
	const rows: GoalRow[] = [];
	const byName = new Map(results.map((r) => [r.name, r]));
	const ratioGoal = (goal: string, name: string, figure: string, max: number) => {
		const r = byName.get(name);
		if (r === undefined) return;
		const go = median(r, "go", figure);
		const ours = median(r, "ours", figure);
		const measured = go !== undefined && ours !== undefined && go !== 0 ? ours / go : undefined;
		rows.push({ goal, case: name, figure, go, ours, measured, limit: `ours/go ≤ ${max}`, status: status(measured, (v) => v <= max) });
	};

	ratioGoal("churn latency p50 ≤ Go's", "churn-1000", "p50Ms", 1.0);
	ratioGoal("churn latency p99 ≤ Go's", "churn-1000", "p99Ms", 1.0);
	ratioGoal("churn CPU ≤ 0.7 × Go's", "churn-1000", "serverCpuPct", 0.7);
	ratioGoal("reconnect recover time ≤ Go's", "reconnect-1000", "recoverMs", 1.0);
	ratioGoal("reconnect CPU ≤ Go's", "reconnect-1000", "serverCpuS", 1.0);
	for (const name of ["reconnect-1000", "reconnect-20"]) {
		const r = byName.get(name);
		if (r === undefined) continue;
		const ours = median(r, "ours", "startMs");
		rows.push({
			goal: "process start → listening ≤ 300 ms",
			case: name,
			figure: "startMs",
			go: median(r, "go", "startMs"),
			ours,
			measured: ours,
			limit: "ours ≤ 300 ms",
			status: status(ours, (v) => v <= 300),
		});
	}
	for (const name of ["fanout-1000", "fanout-5000", "fanout-20"]) {
		const r = byName.get(name);
		if (r === undefined) continue;
		const floor = fanoutFloorS(r);
		const ours = median(r, "ours", "serverCpuS");
		const measured = ours === undefined ? undefined : ours / floor;
		rows.push({
			goal: `fan-out CPU ≤ 3 × the floor (${fmt(floor)} s)`,
			case: name,
			figure: "serverCpuS",
			go: median(r, "go", "serverCpuS"),
			ours,
			measured,
			limit: "ours/floor ≤ 3",
			status: status(measured, (v) => v <= 3),
		});
	}
	for (const name of ["idle-1000", "idle-5000"]) {
		ratioGoal("idle heap per client ≤ 0.8 × Go's", name, "heapPerClientBytes", 0.8);
		ratioGoal("idle RSS per client ≤ 0.7 × Go's", name, "rssPerClientBytes", 0.7);
	}
	for (const name of ["fanout-8000", "fanout-10000"]) ratioGoal("scale: fan-out CPU ≤ 0.5 × Go's", name, "serverCpuS", 0.5);
	for (const r of results) {
		if (r.scenario !== "fanout") continue;
		const ours = median(r, "ours", "firstAckMs");
		rows.push({
			goal: "first client has the new version ≤ 100 ms after setSnapshot",
			case: r.name,
			figure: "firstAckMs",
			go: median(r, "go", "firstAckMs"),
			ours,
			measured: ours,
			limit: "ours ≤ 100 ms",
			status: status(ours, (v) => v <= 100),
		});
	}
	for (const name of ["churn-3000", "churn-5000", "churn-5000-tiny"]) {
		const r = byName.get(name);
		if (r === undefined) continue;
		const offered = Number(loadgenArg(r, "--rate") ?? 100);
		const ours = median(r, "ours", "updatesPerS");
		rows.push({
			goal: `scale: churn sustains the offered ${offered} updates/s`,
			case: name,
			figure: "updatesPerS",
			go: median(r, "go", "updatesPerS"),
			ours,
			measured: ours,
			limit: `ours ≥ ${fmt(0.99 * offered)}/s`,
			status: status(ours, (v) => v >= 0.99 * offered),
		});
		ratioGoal("scale: churn p99 ≤ Go's", name, "p99Ms", 1.0);
	}
	rows.push(...regressions(results, baseline));
	return rows;
}

// Figures where more is better; every other key figure is better lower.
const HIGHER_IS_BETTER = new Set(["updatesPerS"]);
// Figures that are not comparable (see bench/README.md: encodeCalls counts different things).
const NOT_COMPARED = new Set(["encodeCalls"]);

/** How much worse `now` is than `before` (> 1: worse), given which way the figure is better. */
function worsening(figure: string, before: number, now: number): number {
	return HIGHER_IS_BETTER.has(figure) ? before / now : now / before;
}

function regressions(results: CaseResult[], baseline: CaseResult[] | undefined): GoalRow[] {
	if (baseline === undefined) return [];
	const before = new Map(baseline.map((r) => [r.name, r]));
	const rows: GoalRow[] = [];
	for (const r of results) {
		const b = before.get(r.name);
		if (b === undefined) continue;
		for (const [figure, ratio] of Object.entries(r.ratio)) {
			const was = b.ratio[figure];
			if (was === undefined || was === 0 || NOT_COMPARED.has(figure)) continue;
			const change = worsening(figure, was, ratio);
			if (!(change > 1.05)) continue;
			const ours = median(r, "ours", figure);
			const oursBefore = median(b, "ours", figure);
			// Our figure held (or improved) while the ratio worsened: Go's figure moved, not ours.
			if (ours !== undefined && oursBefore !== undefined && oursBefore !== 0 && !(worsening(figure, oursBefore, ours) > 1.05)) continue;
			rows.push({
				goal: "nothing else regresses by more than 5 % (ours/go and ours against the baseline)",
				case: r.name,
				figure,
				go: median(r, "go", figure),
				ours,
				measured: change,
				limit: `ratio ${fmt(was)} → ${fmt(ratio)}, ours ${fmt(oursBefore)} → ${fmt(ours)}`,
				status: "not met",
			});
		}
	}
	return rows;
}

export function goalsTable(rows: GoalRow[], baselineLabel: string | undefined): string {
	const table = [["goal", "case", "figure", "go", "ours", "measured", "limit", "status"]];
	for (const g of rows) {
		table.push([g.goal, g.case, g.figure, fmt(g.go), fmt(g.ours), fmt(g.measured), g.limit, g.status]);
	}
	const regressionNote =
		baselineLabel === undefined
			? "no baseline: regressions not checked (--baseline <report.json>)\n"
			: `regressions checked against ${baselineLabel} (listed: figures whose ours/go ratio and our own figure both got > 5 % worse)\n`;
	return textTable(table) + regressionNote;
}
