import { describe, expect, it } from "vitest";
import { evaluateGoals } from "./goals.js";
import type { CaseResult } from "./results.js";

/** A bytes-10 result (a case with no goal of its own) with one figure's medians for each server. */
function result(figure: string, go: number, ours: number): CaseResult {
	const figures = (v: number) => ({ [figure]: { median: v, min: v, max: v } });
	return {
		name: "bytes-10",
		scenario: "bytes",
		serverArgs: [],
		loadgenArgs: [],
		servers: { go: { runs: [], figures: figures(go) }, ours: { runs: [], figures: figures(ours) } },
		ratio: { [figure]: ours / go },
	};
}

const regressions = (before: CaseResult, now: CaseResult) => evaluateGoals([now], [before]).filter((row) => row.goal.startsWith("nothing else regresses"));

describe("the regression check", () => {
	it("flags a figure of ours that got worse with its ratio", () => {
		const rows = regressions(result("initialSyncMs", 1000, 1000), result("initialSyncMs", 1000, 1200));
		expect(rows).toHaveLength(1);
		expect(rows[0]?.measured).toBeCloseTo(1.2);
		expect(rows[0]?.limit).toBe("ratio 1.00 → 1.20, ours 1000 → 1200");
	});

	it("does not flag a ratio that worsened because Go's figure improved", () => {
		expect(regressions(result("initialSyncMs", 1000, 1000), result("initialSyncMs", 800, 1000))).toEqual([]);
	});

	it("judges figures where more is better the other way", () => {
		expect(regressions(result("updatesPerS", 100, 100), result("updatesPerS", 100, 80))).toHaveLength(1);
		expect(regressions(result("updatesPerS", 100, 100), result("updatesPerS", 100, 120))).toEqual([]);
		expect(regressions(result("updatesPerS", 80, 100), result("updatesPerS", 100, 100))).toEqual([]);
	});

	it("does not flag changes within 5 %", () => {
		expect(regressions(result("initialSyncMs", 1000, 1000), result("initialSyncMs", 1000, 1040))).toEqual([]);
	});
});
