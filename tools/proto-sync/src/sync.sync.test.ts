import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, workDir } from "./paths.js";
import { readUpstream } from "./upstream.js";

// Asynchronous on purpose: a sync run blocks the vitest worker for minutes on a
// loaded machine, and vitest then fails the run with "Timeout calling onTaskUpdate".
const run = promisify(execFile);
const tracked = ["packages/envoy-api", "tools/proto-sync/upstream", "tools/proto-sync/descriptor-dump"];

async function diff(): Promise<string> {
  const { stdout } = await run("git", ["status", "--porcelain", "--", ...tracked], { cwd: repoRoot, encoding: "utf8" });
  return stdout;
}

async function syncAt(version: string): Promise<void> {
  const { stdout, stderr } = await run("pnpm", ["run", "sync", "--version", version], {
    cwd: new URL("..", import.meta.url).pathname,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(stderr + stdout).toContain("envoy ");
}

const scratchFolders = (): string[] => (existsSync(workDir) ? readdirSync(workDir).filter((name) => name.startsWith("image-")) : []);

describe("pnpm proto:sync", () => {
  it("reproduces the committed API exactly, and a second run changes nothing", async () => {
    const up = readUpstream();
    expect(up?.source.kind).toBe("gomod");
    const version = up?.source.kind === "gomod" ? (up.source.modules[0]?.version ?? "") : "";
    expect(await diff()).toBe("");
    const scratchBefore = scratchFolders();
    await syncAt(version);
    expect(await diff()).toBe("");
    await syncAt(version);
    expect(await diff()).toBe("");
    // Each run fetched into a folder of its own (two checkouts syncing at once do not share one) and removed it.
    expect(scratchFolders()).toEqual(scratchBefore);
  });
});
