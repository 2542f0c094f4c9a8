import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const peerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../peers/go-control-plane");

// The go-control-plane peer's own Go tests, under the race detector: the peer must only touch a
// snapshot the cache already serves through the cache (a version map built from a callback raced
// the cache's delta watches and crashed the peer in about one bytes-10 run in six).
// Asynchronous: a cold `go test -race` build takes ~40 s and must not block the vitest worker.
test("the go-control-plane peer's Go tests pass under the race detector", async () => {
	const run = await promisify(execFile)("go", ["test", "-race", "-count=1", "./..."], { cwd: peerDir, encoding: "utf8", timeout: 300_000 }).then(
		(r) => ({ code: 0, output: r.stdout + r.stderr }),
		(error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ""}${error.stderr ?? String(error)}` }),
	);
	expect(run.code, run.output.slice(-4000)).toBe(0);
	expect(run.output).not.toContain("DATA RACE");
}, 320_000);
