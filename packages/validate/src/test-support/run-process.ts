// Runs a program to completion without blocking the test worker's event loop: a long spawnSync
// (66 Envoy validations, a 5,000-resource Go check) on a loaded machine starves vitest's worker RPC
// and fails the run with "Timeout calling onTaskUpdate" although every test passed.
import { spawn } from "node:child_process";

export interface ProcessResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly input?: string;
  readonly timeoutMs: number;
}

export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], timeout: options.timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.end(options.input ?? "");
  });
}
