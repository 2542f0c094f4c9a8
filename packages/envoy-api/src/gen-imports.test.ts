import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const genDir = fileURLToPath(new URL("../dist/gen", import.meta.url));

function jsFilesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith("_pb.js"))
    .map((e) => join(e.parentPath, e.name));
}

describe("generated files' imports", () => {
  const files = jsFilesBelow(genDir);

  it("covers every generated file", () => {
    expect(files.length).toBeGreaterThan(700);
  });

  // A bare specifier costs Node a search of node_modules directories from each importing file;
  // tools/proto-sync points these imports at the package's own file-desc.js and wkt.js.
  it("take protobuf-es through the package's own modules, never by a package specifier", () => {
    const bare = files.filter((f) => /^import [^;]* from "@bufbuild\/protobuf[^"]*";$/m.test(readFileSync(f, "utf8")));
    expect(bare.slice(0, 5)).toEqual([]);
    const cluster = readFileSync(join(genDir, "envoy/config/cluster/v3/cluster_pb.js"), "utf8");
    expect(cluster).toMatch(/^import \{ [^}]*file_google_protobuf_duration[^}]* \} from "(\.\.\/)+wkt\.js";$/m);
  });
});
