import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "envoy-api-loads-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Imports `specifier` in a fresh Node process and returns the generated modules it loaded. */
function loadedBy(specifier: string): string[] {
  const log = join(tmp, `${specifier.replace(/\W/g, "_")}.log`);
  const r = spawnSync(process.execPath, ["--import", "./test/register-count-hooks.mjs", "-e", `await import(${JSON.stringify(specifier)})`, "--input-type=module"], {
    cwd: pkgDir,
    env: { ...process.env, GEN_LOAD_LOG: log },
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return readFileSync(log, "utf8").trim().split("\n");
}

describe("subpath exports", () => {
  it("importing one message file loads only that file and its imports", () => {
    const loaded = loadedBy("@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb");
    expect(loaded.some((u) => u.endsWith("/dist/gen/envoy/config/cluster/v3/cluster_pb.js"))).toBe(true);
    expect(loaded.some((u) => u.includes("/filters/http/"))).toBe(false);
    expect(loaded.length).toBeLessThan(120);
  });

  it("the package root loads the whole API for the registry", () => {
    const loaded = loadedBy("@xdskit/envoy-api");
    expect(loaded.length).toBeGreaterThan(700);
  });
});
