import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { SyncError } from "./errors.js";
import { generate, writeRegistry } from "./generate.js";
import { hashTree, sha256, treeDigest } from "./hash.js";
import { assertComplete, protoDigests, readImage } from "./image.js";
import { apiRoot, genDir, imageFile, registryFile, repoRoot, workDir } from "./paths.js";
import { fetchFromGit } from "./sources/git.js";
import { fetchFromGoModule, type FetchedImage } from "./sources/gomod.js";
import { fetchFromMaven } from "./sources/maven.js";
import { readUpstream, writeUpstream } from "./upstream.js";
import { generatorOptions, generatorVersions } from "./versions.js";

export type SourceKind = "gomod" | "maven" | "git";

export interface SyncOptions {
  source: SourceKind;
  /** Module version, jar version or git ref; "latest" asks the source for its newest. */
  version: string;
  allowRemovals: boolean;
  log: (line: string) => void;
}

async function fetchImage(opts: SyncOptions, out: string): Promise<FetchedImage> {
  switch (opts.source) {
    case "gomod":
      return fetchFromGoModule(opts.version, out);
    case "maven":
      return fetchFromMaven(opts.version, out);
    case "git":
      return fetchFromGit(opts.version, out);
    default:
      throw new SyncError("source", `unknown source ${String(opts.source)}`);
  }
}

/** Fetches the upstream proto set, checks it, regenerates envoy-api and rewrites UPSTREAM. */
export async function sync(opts: SyncOptions): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  // The fetched image in a folder of this run's own, so that two syncs at once (two checkouts
  // testing on one machine) cannot read each other's half-written image.
  const scratch = mkdtempSync(join(workDir, "image-"));
  const fresh = join(scratch, "image.binpb");
  let fetched: FetchedImage;
  let set: ReturnType<typeof readImage>;
  try {
    opts.log(`fetching from ${opts.source} (${opts.version})`);
    fetched = await fetchImage(opts, fresh);
    set = readImage(fresh);
    assertComplete(set, readUpstream()?.protos, opts.allowRemovals);
    mkdirSync(dirname(imageFile), { recursive: true });
    copyFileSync(fresh, imageFile);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  opts.log(`generating from ${set.file.length} files`);
  generate(imageFile);
  writeRegistry(genDir, set, registryFile);

  const generated = hashTree(genDir);
  writeUpstream({
    envoy: fetched.envoy,
    source: fetched.source,
    generator: { ...generatorVersions(), options: generatorOptions(readFileSync(join(repoRoot, "buf.gen.yaml"), "utf8")) },
    image: { path: relative(repoRoot, imageFile), sha256: sha256(readFileSync(imageFile)), files: set.file.length },
    generated: { dir: relative(repoRoot, genDir), files: Object.keys(generated).length, sha256: treeDigest(generated) },
    protos: protoDigests(set),
  });
  opts.log(`envoy ${fetched.envoy.version} (${fetched.envoy.commit || "commit unknown"}): ${Object.keys(generated).length} files in ${relative(repoRoot, apiRoot)}`);
}

/** Regenerates envoy-api from the committed image, as turbo's `generate` step; UPSTREAM is not touched. */
export function regenerate(log: (line: string) => void): void {
  generate(imageFile);
  const set = readImage(imageFile);
  writeRegistry(genDir, set, registryFile);
  log(`generated ${Object.keys(hashTree(genDir)).length} files from ${relative(repoRoot, imageFile)}`);
}
