// The release flow without registry writes. `changeset publish` has no
// dry-run (changesets/changesets#614), so this does what the release workflow
// does, in a temporary copy of the workspace: `changeset version` (what the
// "Version Packages" pull request would contain), then
// `pnpm publish -r --dry-run` (what `changeset publish` would then publish:
// every publishable package whose version is not on the registry yet).
// Expects built packages (dist/), like `pnpm release`.
//
//   tsx src/release-dry-run.ts [--keep]
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./run.js";
import { publishablePackages } from "./workspace-packages.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const keep = process.argv.includes("--keep");
const pnpm = join(root, "scripts/pnpm.sh");
const changeset = join(root, "node_modules/@changesets/cli/bin.js");
const tmp = mkdtempSync(join(tmpdir(), "xdskit-release-"));
const started = Date.now();

const step = async (label: string, cmd: string, args: string[]) => {
  const r = await run(cmd, args, { cwd: tmp, timeoutMs: 600_000 });
  console.log(`::: ${label} (${(r.ms / 1000).toFixed(1)}s)`);
  if (r.code !== 0) {
    console.error(r.output);
    throw new Error(`${label} failed`);
  }
  return r.output;
};

let status = 0;
try {
  // Tracked and new (not ignored) files, plus the built output of publishable packages.
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .stdout.split("\0")
    .filter((f) => f && existsSync(join(root, f)));
  for (const f of files) {
    mkdirSync(dirname(join(tmp, f)), { recursive: true });
    cpSync(join(root, f), join(tmp, f));
  }
  for (const p of publishablePackages(root)) {
    const dist = join(p.dir, "dist");
    if (existsSync(dist)) cpSync(dist, join(tmp, "packages", p.folder, "dist"), { recursive: true });
  }
  await step("pnpm install --offline", pnpm, ["install", "--offline", "--frozen-lockfile=false", "--ignore-scripts", "--reporter=silent"]);
  const before = new Map(publishablePackages(tmp).map((p) => [p.name, p.manifest.version]));
  await step("changeset version", process.execPath, [changeset, "version"]);
  const after = publishablePackages(tmp);
  console.log("versions after `changeset version`:");
  for (const p of after) {
    const was = before.get(p.name);
    console.log(`  ${p.name.padEnd(28)} ${was === p.manifest.version ? `${was} (unchanged)` : `${was} -> ${p.manifest.version}`}`);
  }
  const envoy = after.find((p) => p.name === "@xdskit/envoy-api");
  if (envoy) {
    // envoy-api's MAJOR.MINOR must stay the Envoy version it was generated from.
    const upstream = JSON.parse(readFileSync(join(envoy.dir, "UPSTREAM"), "utf8")) as { envoy?: { version?: string } };
    const m = /^(\d+)\.(\d+)\./.exec(upstream.envoy?.version ?? "");
    const [major, minor] = (envoy.manifest.version ?? "").split(".");
    if (m && (m[1] !== major || m[2] !== minor)) {
      throw new Error(`@xdskit/envoy-api would become ${envoy.manifest.version}, but UPSTREAM records Envoy ${m[1]}.${m[2]}: its MAJOR.MINOR must be the Envoy version`);
    }
  }
  const out = await step("pnpm publish -r --dry-run", pnpm, [
    "-r",
    ...after.flatMap((p) => ["--filter", p.name]),
    "publish",
    "--dry-run",
    "--no-git-checks",
  ]);
  const published = out.split("\n").filter((l) => l.startsWith("+ "));
  console.log(`would publish ${published.length} packages:\n${published.map((l) => `  ${l.slice(2)}`).join("\n")}`);
} catch (e) {
  console.error((e as Error).message);
  status = 1;
} finally {
  if (keep) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`release dry run: ${status === 0 ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(status);
