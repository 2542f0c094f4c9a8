import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const loadgenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../loadgen");

// The load generator's own Go tests: what it reads from the wire in place of decoding (the
// churn and bytes cases' endpoint generations) must agree with the decoded messages.
// Asynchronous, so a cold Go build does not block the vitest worker.
test("the load generator's Go tests pass", async () => {
	const run = await promisify(execFile)("go", ["test", "-count=1", "./..."], { cwd: loadgenDir, encoding: "utf8", timeout: 300_000 }).then(
		(r) => ({ code: 0, output: r.stdout + r.stderr }),
		(error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ""}${error.stderr ?? String(error)}` }),
	);
	expect(run.code, run.output.slice(-4000)).toBe(0);
	expect(run.output).toMatch(/^ok\s/m);
}, 320_000);
