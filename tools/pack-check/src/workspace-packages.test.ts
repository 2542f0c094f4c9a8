import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importedPackages, internalClosure, peerDeps, publishablePackages, workspaceRange } from "./workspace-packages.js";

const root = mkdtempSync(join(tmpdir(), "pack-check-ws-"));
const pkg = (path: string, manifest: object) => {
  mkdirSync(join(root, path), { recursive: true });
  writeFileSync(join(root, path, "package.json"), JSON.stringify(manifest));
};
pkg(".", { name: "root", private: true, devDependencies: { typescript: "~5.9.3" } });
pkg("packages/api", { name: "@xdskit/api", version: "1.0.0", peerDependencies: { "@bufbuild/protobuf": "^2.10.0" } });
pkg("packages/core", { name: "@xdskit/core", version: "0.1.0", dependencies: { "@xdskit/api": "workspace:^" } });
pkg("packages/server", {
  name: "@xdskit/server",
  version: "0.1.0",
  dependencies: { "@xdskit/core": "workspace:^", "@connectrpc/connect-node": "^2.1.0" },
  peerDependencies: { "@connectrpc/connect": "^2.1.0" },
});
pkg("packages/secret", { name: "@xdskit/secret", private: true });
mkdirSync(join(root, "packages/not-a-package"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("publishablePackages", () => {
  it("finds every non-private package under packages/, new ones included", () => {
    expect(publishablePackages(root).map((p) => p.name)).toEqual(["@xdskit/api", "@xdskit/core", "@xdskit/server"]);
    pkg("packages/zeta", { name: "@xdskit/zeta", version: "0.0.1" });
    expect(publishablePackages(root).map((p) => p.folder)).toContain("zeta");
  });
});

describe("internalClosure and peerDeps", () => {
  it("follows runtime internal deps transitively and merges their peers", () => {
    const all = publishablePackages(root);
    const closure = internalClosure(["@xdskit/server"], all);
    expect(closure.map((p) => p.name)).toEqual(["@xdskit/api", "@xdskit/core", "@xdskit/server"]);
    expect(peerDeps(closure)).toEqual({ "@bufbuild/protobuf": "^2.10.0", "@connectrpc/connect": "^2.1.0" });
  });
  it("rejects a dependency on a package that is not publishable", () => {
    expect(() => internalClosure(["@xdskit/secret"], publishablePackages(root))).toThrow(/not a publishable package/);
  });
});

describe("workspaceRange", () => {
  it("uses the range the workspace itself was tested with", () => {
    expect(workspaceRange(root, "@connectrpc/connect-node")).toBe("^2.1.0");
    expect(workspaceRange(root, "typescript")).toBe("~5.9.3");
    expect(workspaceRange(root, "left-pad")).toBeUndefined();
  });
});

describe("importedPackages", () => {
  it("takes package names of bare specifiers, skipping builtins and relative paths", () => {
    const src = [
      'import { create } from "@bufbuild/protobuf";',
      'import { anyPack } from "@bufbuild/protobuf/wkt";',
      'import type { X } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";',
      'import { readFileSync } from "node:fs";',
      'import { join } from "path";',
      'import "./local.js";',
      'export { y } from "lodash/fp";',
      'const m = await import("tsx");',
      'type T = import("@connectrpc/connect").Transport;',
    ].join("\n");
    expect(importedPackages(src)).toEqual(["@bufbuild/protobuf", "@connectrpc/connect", "@xdskit/envoy-api", "lodash", "tsx"]);
  });
});
