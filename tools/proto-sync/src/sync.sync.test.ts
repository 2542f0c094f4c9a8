import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./paths.js";
import { readUpstream } from "./upstream.js";

const tracked = ["packages/envoy-api", "tools/proto-sync/upstream", "tools/proto-sync/descriptor-dump"];

function diff(): string {
  const r = spawnSync("git", ["status", "--porcelain", "--", ...tracked], { cwd: repoRoot, encoding: "utf8" });
  expect(r.status).toBe(0);
  return r.stdout;
}

function syncAt(version: string): void {
  const r = spawnSync("pnpm", ["run", "sync", "--version", version], { cwd: new URL("..", import.meta.url).pathname, encoding: "utf8" });
  expect(r.stderr + r.stdout).toContain("envoy ");
  expect(r.status).toBe(0);
}

describe("pnpm proto:sync", () => {
  it("reproduces the committed API exactly, and a second run changes nothing", () => {
    const up = readUpstream();
    expect(up?.source.kind).toBe("gomod");
    const version = up?.source.kind === "gomod" ? (up.source.modules[0]?.version ?? "") : "";
    expect(diff()).toBe("");
    syncAt(version);
    expect(diff()).toBe("");
    syncAt(version);
    expect(diff()).toBe("");
  });
});
