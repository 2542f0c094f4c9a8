import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { entryPoints, reportEntry } from "./api-report.js";
import type { WorkspacePackage } from "./workspace-packages.js";

const dir = mkdtempSync(join(tmpdir(), "api-report-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakePackage(declarations: string): WorkspacePackage {
  const manifest = {
    name: "@xdskit/fake",
    version: "0.0.0",
    type: "module",
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./internal": { types: "./dist/internal.d.ts", default: "./dist/internal.js" },
      "./package.json": "./package.json",
      "./*": { types: "./dist/gen/*.d.ts", default: "./dist/gen/*.js" },
    },
  };
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }));
  writeFileSync(join(dir, "dist/index.d.ts"), declarations);
  writeFileSync(join(dir, "dist/internal.d.ts"), "/** Internal. */\nexport declare const inner: number;\n");
  return { name: manifest.name, folder: "fake", dir, manifest };
}

describe("API reports", () => {
  it("cover the root and each named subpath export, not wildcards or package.json", () => {
    const pkg = fakePackage("export declare const a: number;\n");
    expect(entryPoints(pkg).map((e) => [e.subpath, e.types, e.reportName])).toEqual([
      [".", "./dist/index.d.ts", "fake"],
      ["./internal", "./dist/internal.d.ts", "fake.internal"],
    ]);
  });

  it("are written by update, pass check while the API stands, and fail check when it changes", () => {
    const pkg = fakePackage("/** A number. */\nexport declare const a: number;\n");
    const [root] = entryPoints(pkg);
    if (root === undefined) throw new Error("no root entry");
    expect(reportEntry(root, "update").problems).toEqual([]);
    expect(readFileSync(join(dir, "etc/fake.api.md"), "utf8")).toContain("export const a: number;");
    const same = reportEntry(root, "check");
    expect([same.changed, same.problems]).toEqual([false, []]);
    writeFileSync(join(dir, "dist/index.d.ts"), "/** A number. */\nexport declare const a: number;\n/** New. */\nexport declare function b(): void;\n");
    const changed = reportEntry(root, "check");
    expect(changed.changed).toBe(true);
    // A check never rewrites the committed report.
    expect(readFileSync(join(dir, "etc/fake.api.md"), "utf8")).not.toContain("function b");
  }, 60_000);
});
