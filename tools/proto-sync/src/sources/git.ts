import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { parseRepositoryLocations, type BzlDep } from "../bzl.js";
import { download, verifyDigest } from "../download.js";
import { SyncError } from "../errors.js";
import { workDir } from "../paths.js";
import { run } from "../run.js";
import type { FetchedImage } from "./gomod.js";

/** Which proto directories each API dependency contributes: [path in archive, path in our proto root]. */
export const depLayout: Record<string, [string, string][]> = {
  com_envoyproxy_protoc_gen_validate: [["validate", "validate"]],
  com_github_cncf_xds: [["xds", "xds"], ["udpa", "udpa"]],
  com_github_cncf_udpa: [["xds", "xds"], ["udpa", "udpa"]],
  com_google_googleapis: [["google/api", "google/api"], ["google/rpc", "google/rpc"]],
  opentelemetry_proto: [["opentelemetry", "opentelemetry"]],
  prometheus_metrics_model: [["io", "io"]],
  dev_cel: [["proto/cel", "cel"]],
  opencensus_proto: [["opencensus", "opencensus"]],
};

function copyProtos(from: string, to: string): void {
  if (!existsSync(from)) return;
  cpSync(from, to, { recursive: true, filter: (src) => src.endsWith(".proto") || statSync(src).isDirectory() });
}

async function fetchDep(dep: BzlDep, into: string): Promise<void> {
  const url = dep.urls[0];
  if (!url) throw new SyncError("source", `${dep.name} has no url in repository_locations.bzl`);
  const data = await download(url);
  verifyDigest(`${dep.name} (${url})`, data, "sha256", dep.sha256);
  const dir = join(workDir, "git-deps", dep.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (url.endsWith(".zip")) {
    for (const [name, bytes] of Object.entries(unzipSync(data))) {
      if (name.endsWith("/")) continue;
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
  } else {
    const archive = `${dir}.tar.gz`;
    writeFileSync(archive, data);
    run("tar", ["-xzf", archive, "-C", dir]);
  }
  const base = dep.stripPrefix ? join(dir, dep.stripPrefix) : dir;
  for (const [src, dst] of depLayout[dep.name] ?? []) copyProtos(join(base, src), join(into, dst));
}

/**
 * The maintainers' source: envoyproxy/envoy `api/` at a ref, plus every API
 * dependency at the version and sha256 its repository_locations.bzl pins.
 * Needs access to GitHub; not reachable from every machine.
 */
export async function fetchFromGit(ref: string, out: string, repository = "https://github.com/envoyproxy/envoy"): Promise<FetchedImage> {
  const checkout = join(workDir, "envoy");
  rmSync(checkout, { recursive: true, force: true });
  mkdirSync(checkout, { recursive: true });
  const git = (args: string[]): string => run("git", args, { cwd: checkout });
  git(["init", "-q"]);
  git(["remote", "add", "origin", repository]);
  git(["sparse-checkout", "set", "--no-cone", "/api/", "/VERSION.txt"]);
  git(["fetch", "-q", "--depth", "1", "--filter=blob:none", "origin", ref === "latest" ? "HEAD" : ref]);
  git(["checkout", "-q", "FETCH_HEAD"]);
  const commit = git(["rev-parse", "HEAD"]).trim();
  const version = readFileSync(join(checkout, "VERSION.txt"), "utf8").trim();

  const root = join(workDir, "git-root");
  rmSync(root, { recursive: true, force: true });
  cpSync(join(checkout, "api/envoy"), join(root, "envoy"), { recursive: true });
  const deps = parseRepositoryLocations(readFileSync(join(checkout, "api/bazel/repository_locations.bzl"), "utf8"));
  const used: BzlDep[] = [];
  for (const dep of deps.values()) {
    if (!depLayout[dep.name]) continue;
    await fetchDep(dep, root);
    used.push(dep);
  }
  const targets = readdirSync(root).filter((d) => ["envoy", "xds", "udpa", "validate"].includes(d));
  run("buf", ["build", root, ...targets.flatMap((t) => ["--path", join(root, t)]), "--as-file-descriptor-set", "-o", out]);
  return {
    envoy: { version, commit },
    source: {
      kind: "git",
      repository,
      commit,
      deps: used.map((d) => ({ name: d.name, version: d.version, url: d.urls[0] ?? "", sha256: d.sha256 })),
    },
  };
}
