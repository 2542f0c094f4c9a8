import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { goTest } from "./go-test.js";

const loadgenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../loadgen");

// The load generator's own Go tests: what it reads from the wire in place of decoding (the
// churn and bytes cases' endpoint generations) must agree with the decoded messages.
test("the load generator's Go tests pass", async () => {
	const run = await goTest(loadgenDir, []);
	expect(run.code, run.output.slice(-4000)).toBe(0);
	expect(run.output).toMatch(/^ok\s/m);
}, 320_000);
