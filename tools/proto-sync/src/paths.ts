import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute locations the sync job reads and writes, relative to the repo root. */
export const repoRoot = resolve(here, "../../..");
export const toolRoot = resolve(here, "..");
export const apiRoot = join(repoRoot, "packages/envoy-api");
export const genDir = join(apiRoot, "src/gen");
export const registryFile = join(apiRoot, "src/registry.ts");
export const upstreamFile = join(apiRoot, "UPSTREAM");
/** The committed upstream image every generation starts from. */
export const imageFile = join(toolRoot, "upstream/image.binpb");
export const descriptorDumpDir = join(toolRoot, "descriptor-dump");
/** Scratch space; outside the repo, whose buf.yaml would otherwise claim the fetched protos. */
export const workDir = join(tmpdir(), "xdskit-proto-sync");
