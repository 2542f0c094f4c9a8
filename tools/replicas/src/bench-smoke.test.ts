// The bench at tiny sizes, so `pnpm bench` cannot rot between full runs.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { describe, expect, it } from "vitest";

const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const bench = fileURLToPath(new URL("./bench/run-bench.ts", import.meta.url));

describe("pnpm bench (smoke sizes)", () => {
  it("measures ACK latency over 3 replicas and fan-out on --workers 1 and 2", async () => {
    const child = spawn(process.execPath, [tsx, bench], { env: { ...process.env, BENCH_SMOKE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(out).toMatch(/etcd write → all 30 clients ACKed \(3 replicas, 3 writes\): p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(out).toMatch(/fan-out to 50 clients, --workers 1: p50/);
    expect(out).toMatch(/fan-out to 50 clients, --workers 2: p50/);
    expect(out).toMatch(/fan-out ratio --workers 2 \/ --workers 1/);
    expect(code).toBe(0);
  }, 3 * PROCESS_START_BOUND_MS);
});
