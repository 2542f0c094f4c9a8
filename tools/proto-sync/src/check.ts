import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { SyncError } from "./errors.js";
import { generate, registrySource } from "./generate.js";
import { hashTree, sha256, treeDigest } from "./hash.js";
import { protoDigests, readImage } from "./image.js";
import { genDir, imageFile, registryFile, repoRoot } from "./paths.js";
import { readUpstream } from "./upstream.js";
import { generatorVersions } from "./versions.js";

function diffKeys(want: Record<string, string>, got: Record<string, string>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(want)) if (got[k] !== want[k]) out.push(got[k] === undefined ? `missing ${k}` : `differs ${k}`);
  for (const k of Object.keys(got)) if (want[k] === undefined) out.push(`extra ${k}`);
  return out.sort();
}

function fail(what: string, problems: string[]): never {
  const shown = problems.slice(0, 20).join("\n  ");
  throw new SyncError("mismatch", `${what}:\n  ${shown}${problems.length > 20 ? `\n  … ${problems.length - 20} more` : ""}`);
}

/**
 * Offline proof that the committed generated code is what UPSTREAM says:
 * the committed image matches its recorded digests, and regenerating from
 * it with the recorded generator versions gives the committed files exactly.
 */
export function check(log: (line: string) => void): void {
  const up = readUpstream();
  if (!up) throw new SyncError("mismatch", "packages/envoy-api/UPSTREAM is missing: run pnpm proto:sync");
  const image = readFileSync(imageFile);
  if (sha256(image) !== up.image.sha256) fail("image digest", [`${relative(repoRoot, imageFile)} is ${sha256(image)}, UPSTREAM says ${up.image.sha256}`]);
  const set = readImage(imageFile);
  const protoProblems = diffKeys(up.protos, protoDigests(set));
  if (protoProblems.length) fail("image files differ from UPSTREAM", protoProblems);

  const tools = generatorVersions();
  if (tools.buf !== up.generator.buf || tools["protoc-gen-es"] !== up.generator["protoc-gen-es"]) {
    fail("generator versions", [`installed buf ${tools.buf}, protoc-gen-es ${tools["protoc-gen-es"]}; UPSTREAM says buf ${up.generator.buf}, protoc-gen-es ${up.generator["protoc-gen-es"]}`]);
  }

  const committed = hashTree(genDir);
  if (treeDigest(committed) !== up.generated.sha256) {
    fail("committed generated code", [`${relative(repoRoot, genDir)} digest ${treeDigest(committed)}, UPSTREAM says ${up.generated.sha256}`]);
  }
  const tmp = mkdtempSync(join(tmpdir(), "proto-check-"));
  try {
    generate(imageFile, tmp);
    const freshGen = join(tmp, relative(repoRoot, genDir));
    const genProblems = diffKeys(hashTree(freshGen), committed);
    if (genProblems.length) fail("regenerated code differs from committed", genProblems);
    if (registrySource(freshGen, set) !== readFileSync(registryFile, "utf8")) {
      fail("registry", [`${relative(repoRoot, registryFile)} differs from what the image generates`]);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`ok: envoy ${up.envoy.version}, ${set.file.length} protos, ${Object.keys(committed).length} generated files match UPSTREAM`);
}
