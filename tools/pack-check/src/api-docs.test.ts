import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { docModelName, documentEntry } from "./api-docs.js";
import { type EntryPoint, entryPoints } from "./api-report.js";
import type { WorkspacePackage } from "./workspace-packages.js";

const dir = mkdtempSync(join(tmpdir(), "api-docs-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakePackage(declarations: string, internal = "/** Internal. */\nexport declare const inner: number;\n"): WorkspacePackage {
  const manifest = {
    name: "@xdskit/fake",
    version: "0.0.0",
    type: "module",
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./internal": { types: "./dist/internal.d.ts", default: "./dist/internal.js" },
    },
  };
  mkdirSync(join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }));
  writeFileSync(join(dir, "dist/index.d.ts"), declarations);
  writeFileSync(join(dir, "dist/internal.d.ts"), internal);
  return { name: manifest.name, folder: "fake", dir, manifest };
}

function entry(pkg: WorkspacePackage, subpath: string): EntryPoint {
  const found = entryPoints(pkg).find((e) => e.subpath === subpath);
  if (found === undefined) throw new Error(`no entry point ${subpath}`);
  return found;
}
const main = (pkg: WorkspacePackage) => entry(pkg, ".");

describe("API docs check", { timeout: 120_000 }, () => {
  it("passes when every export and member is documented and every link resolves", () => {
    const pkg = fakePackage(
      [
        "/** Options of {@link make}. */",
        "export interface MakeOptions {",
        "  /** How many; see {@link MakeOptions.name}. */",
        "  readonly count: number;",
        "  /** What it is called. */",
        "  readonly name: string;",
        "}",
        "/** Makes one, from {@link MakeOptions}. */",
        "export declare function make(options: MakeOptions): string;",
        "",
      ].join("\n"),
    );
    expect(documentEntry(main(pkg)).problems).toEqual([]);
  });

  it("names every undocumented export and member, with its line", () => {
    const pkg = fakePackage(
      [
        "export declare const bare: number;",
        "/** Documented. */",
        "export interface Shape {",
        "  readonly size: number;",
        "  /** Only a tag: {@link Shape} */",
        "  readonly kind: string;",
        "}",
        "",
      ].join("\n"),
    );
    const problems = documentEntry(main(pkg)).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/dist\/index\.d\.ts:1:\d+ - \(ae-undocumented\) Missing documentation for "bare"/);
    expect(problems[1]).toMatch(/dist\/index\.d\.ts:4:\d+ - \(ae-undocumented\) Missing documentation for "size"/);
  });

  it("names a {@link} to something the entry point does not export, or a bare member name", () => {
    const pkg = fakePackage(
      [
        "/** Like {@link missing}, and see {@link count}. */",
        "export interface Counter {",
        "  /** The count. */",
        "  readonly count: number;",
        "}",
        "",
      ].join("\n"),
    );
    const problems = documentEntry(main(pkg)).problems;
    expect(problems.join("\n")).toMatch(/ae-unresolved-link.*does not have an export "missing"/);
    expect(problems.join("\n")).toMatch(/ae-unresolved-link.*does not have an export "count"/);
    expect(problems).toHaveLength(2);
  });

  it("files a subpath's doc model as <package>.<subpath> and writes it when asked", () => {
    const pkg = fakePackage("/** One. */\nexport declare const one: number;\n");
    const internal = entry(pkg, "./internal");
    expect(docModelName(internal)).toBe("@xdskit/fake.internal");
    const models = join(dir, "models");
    mkdirSync(models, { recursive: true });
    expect(documentEntry(internal, models).problems).toEqual([]);
    const model = join(models, "fake.internal.api.json");
    expect(existsSync(model)).toBe(true);
    expect(JSON.parse(readFileSync(model, "utf8")).name).toBe("@xdskit/fake.internal");
  });
});
