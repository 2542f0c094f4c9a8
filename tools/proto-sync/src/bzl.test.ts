import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRepositoryLocations } from "./bzl.js";
import { depLayout } from "./sources/git.js";

const fixture = readFileSync(new URL("../test/fixtures/repository_locations.bzl", import.meta.url), "utf8");

describe("parseRepositoryLocations", () => {
  const deps = parseRepositoryLocations(fixture);

  it("reads every entry with version, sha256, expanded urls and strip_prefix", () => {
    expect([...deps.keys()]).toEqual(["com_envoyproxy_protoc_gen_validate", "com_github_cncf_xds", "dev_cel"]);
    expect(deps.get("com_envoyproxy_protoc_gen_validate")).toEqual({
      name: "com_envoyproxy_protoc_gen_validate",
      version: "1.2.1",
      sha256: "1111111111111111111111111111111111111111111111111111111111111111",
      urls: ["https://github.com/bufbuild/protoc-gen-validate/archive/refs/tags/v1.2.1.zip"],
      stripPrefix: "protoc-gen-validate-1.2.1",
    });
    expect(deps.get("com_github_cncf_xds")?.urls).toEqual(["https://github.com/cncf/xds/archive/abcdef0123456789.tar.gz"]);
  });

  it("knows where each API dependency's protos go", () => {
    for (const name of deps.keys()) expect(depLayout[name]).toBeDefined();
    expect(depLayout["dev_cel"]).toEqual([["proto/cel", "cel"]]);
  });
});
