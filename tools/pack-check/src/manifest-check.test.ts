import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifestProblems, undeclaredImports } from "./manifest-check.js";

const good = {
  name: "@xdskit/x",
  version: "0.1.0",
  type: "module",
  sideEffects: false,
  files: ["dist"],
  exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
  scripts: { "pack:lint": "publint --strict && attw --pack . --profile esm-only" },
  dependencies: { "@xdskit/core": "workspace:^" },
  peerDependencies: { "@bufbuild/protobuf": "^2.10.0" },
  devDependencies: { "@bufbuild/protobuf": "^2.10.0" },
};

describe("manifestProblems", () => {
  it("accepts a manifest that follows the house rules", () => {
    expect(manifestProblems(good)).toEqual([]);
  });
  it("names each wrong field", () => {
    const bad = {
      ...good,
      sideEffects: true,
      files: ["src"],
      exports: { ".": { default: "./dist/index.js", types: "./dist/index.d.ts" } },
      scripts: {},
      dependencies: { "@bufbuild/protobuf": "^2.10.0", "@xdskit/core": "^0.1.0" },
      devDependencies: {},
    };
    const problems = manifestProblems(bad).join("\n");
    expect(problems).toMatch(/"sideEffects" must be false/);
    expect(problems).toMatch(/"files" must list "dist"/);
    expect(problems).toMatch(/exports\["\."\] must have "types" as its first condition/);
    expect(problems).toMatch(/pack:lint/);
    expect(problems).toMatch(/dependencies."@bufbuild\/protobuf" must be a peerDependency/);
    expect(problems).toMatch(/dependencies."@xdskit\/core" must be "workspace:\^"/);
  });
});

describe("undeclaredImports", () => {
  it("finds packages the built output imports but the manifest does not declare", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-check-dist-"));
    try {
      mkdirSync(join(dir, "dist/sub"), { recursive: true });
      writeFileSync(join(dir, "dist/index.js"), 'import { create } from "@bufbuild/protobuf";\nexport * from "./sub/a.js";\n');
      writeFileSync(join(dir, "dist/sub/a.d.ts"), 'import type { Transport } from "@connectrpc/connect";\nexport type T = Transport;\n');
      writeFileSync(join(dir, "dist/sub/a.test.js"), 'import "vitest";\n');
      expect(undeclaredImports(dir, good)).toEqual(["@connectrpc/connect (imported by dist/sub/a.d.ts)"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
