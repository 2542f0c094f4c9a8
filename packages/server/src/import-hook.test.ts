// registerImportHook: the relative imports inside the server's packages, the generated Envoy API
// and protobuf-es are resolved by the hook, not by Node's resolver; the modules loaded are the
// same either way; everything else still reaches Node's resolver. Each case is a fresh Node
// process: hooks are per process.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "xdskit-import-hook-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
vi.setConfig({ testTimeout: 60_000 });

interface Run {
  readonly roots: readonly string[];
  /** Relative specifiers (with their importer) that reached Node's resolver, from envoy-api and protobuf-es files. */
  readonly reachedNode: readonly string[];
  /** Every module URL loaded, in order. */
  readonly loaded: readonly string[];
}

// A counting hook registered first runs last: it sees only what the import hook passes on.
const script = (register: boolean, then: string): string => `
import * as nodeModule from "node:module";
const reachedNode = [];
const loaded = [];
nodeModule.registerHooks({
  resolve(specifier, context, next) {
    const parent = context.parentURL ?? "";
    if (specifier.startsWith(".") && (parent.includes("/envoy-api/dist/") || parent.includes("/@bufbuild/protobuf/dist/esm/"))) reachedNode.push(specifier + " from " + parent);
    return next(specifier, context);
  },
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
const { registerImportHook } = await import("@xdskit/server/import-hook");
const roots = ${register ? "registerImportHook()" : "[]"};
${then}
process.stdout.write(JSON.stringify({ roots, reachedNode, loaded }));
`;

function run(register: boolean, then: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script(register, then)], { cwd: pkgDir, encoding: "utf8", timeout: 50_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Run);
    });
  });
}

const hasRegisterHooks = typeof (await import("node:module") as { registerHooks?: unknown }).registerHooks === "function";

describe.runIf(hasRegisterHooks)("registerImportHook", () => {
  it("resolves the relative imports of envoy-api and protobuf-es, and loads the same modules", async () => {
    const load = 'await import("@xdskit/server"); await import("@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb");';
    const [plain, hooked] = await Promise.all([run(false, load), run(true, load)]);
    expect(plain.reachedNode.length).toBeGreaterThan(300);
    expect(hooked.reachedNode).toEqual([]);
    expect(hooked.roots.some((r) => r.endsWith("/envoy-api/dist/"))).toBe(true);
    expect(hooked.roots.some((r) => r.endsWith("/@bufbuild/protobuf/dist/esm/"))).toBe(true);
    expect(hooked.loaded.filter((u) => !u.endsWith("/import-hook.js"))).toEqual(plain.loaded.filter((u) => !u.endsWith("/import-hook.js")));
  });

  it("leaves other modules to Node: a missing relative import outside the packages fails as before", async () => {
    const outside = join(tmp, "outside.mjs");
    writeFileSync(outside, 'import "./missing.js";\n');
    const hooked = run(true, `await import(${JSON.stringify(outside)}).then(() => { throw new Error("loaded"); }, (e) => { if (e.code !== "ERR_MODULE_NOT_FOUND") throw e; });`);
    await expect(hooked).resolves.toMatchObject({ reachedNode: [] });
  });

  it("registers once: a second call returns the same roots", async () => {
    const twice = await run(true, "const again = registerImportHook(); if (again !== roots) throw new Error('registered twice');");
    expect(twice.roots.length).toBeGreaterThanOrEqual(6);
  });
});
