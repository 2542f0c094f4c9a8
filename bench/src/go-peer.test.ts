import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { goTest } from "./go-test.js";

const peerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../peers/go-control-plane");

// The go-control-plane peer's own Go tests, under the race detector: the peer must only touch a
// snapshot the cache already serves through the cache (a version map built from a callback raced
// the cache's delta watches and crashed the peer in about one bytes-10 run in six).
test("the go-control-plane peer's Go tests pass under the race detector", async () => {
	const run = await goTest(peerDir, ["-race"]);
	expect(run.code, run.output.slice(-4000)).toBe(0);
	expect(run.output).not.toContain("DATA RACE");
}, 320_000);
