import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** What `go test` printed, and its exit code (0 when every package passed). */
export interface GoTestRun {
	readonly code: number;
	readonly output: string;
}

/**
 * Runs `go test <args> ./...` in `dir` without blocking the caller's event loop (a cold
 * build takes tens of seconds), and resolves with its exit code and output whether it
 * passed or not.
 */
export async function goTest(dir: string, args: readonly string[], timeoutMs = 300_000): Promise<GoTestRun> {
	return promisify(execFile)("go", ["test", ...args, "-count=1", "./..."], { cwd: dir, encoding: "utf8", timeout: timeoutMs }).then(
		(r) => ({ code: 0, output: r.stdout + r.stderr }),
		(error: { code?: number; stdout?: string; stderr?: string }) => ({
			code: typeof error.code === "number" ? error.code : 1,
			output: `${error.stdout ?? ""}${error.stderr ?? String(error)}`,
		}),
	);
}
