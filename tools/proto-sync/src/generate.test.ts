import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { registrySource } from "./generate.js";
import { hashTree, treeDigest } from "./hash.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), "gen-"));
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  return dir;
}

describe("registrySource", () => {
  it("imports every generated file descriptor and the well-known types the image uses", () => {
    const gen = tree({
      "envoy/a/v3/a_pb.ts": "export const file_envoy_a_v3_a: GenFile = x;\nexport const file_other: GenExtension = y;\n",
      "xds/b/b_pb.ts": "export const file_xds_b_b: GenFile = x;\n",
    });
    const image = create(FileDescriptorSetSchema, { file: [{ name: "google/protobuf/any.proto" }, { name: "envoy/a/v3/a.proto" }] });
    const src = registrySource(gen, image);
    expect(src).toContain('import { file_envoy_a_v3_a } from "./gen/envoy/a/v3/a_pb.js";');
    expect(src).toContain('import { file_xds_b_b } from "./gen/xds/b/b_pb.js";');
    expect(src).toContain('import { file_google_protobuf_any } from "@bufbuild/protobuf/wkt";');
    expect(src).not.toContain("file_other");
    expect(src).toContain("file_google_protobuf_any,\n  file_envoy_a_v3_a,\n  file_xds_b_b,");
  });

  it("fails on a generated file without a file descriptor export", () => {
    const gen = tree({ "x_pb.ts": "export const nothing = 1;\n" });
    expect(() => registrySource(gen, create(FileDescriptorSetSchema))).toThrow(/x_pb\.ts exports no file descriptor/);
  });
});

describe("tree digests", () => {
  it("change when any file changes, and only then", () => {
    const d = tree({ "a.ts": "1", "sub/b.ts": "2" });
    const first = treeDigest(hashTree(d));
    expect(treeDigest(hashTree(d))).toBe(first);
    writeFileSync(join(d, "sub/b.ts"), "3");
    expect(treeDigest(hashTree(d))).not.toBe(first);
  });
});
