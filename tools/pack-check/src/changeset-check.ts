// Fails when a publishable package changed since the base ref but no
// changeset was added: every user-visible change gets a version and a
// changelog line. A change that needs no release records that explicitly
// with `pnpm changeset --empty`.
//
//   tsx src/changeset-check.ts        (base: $CHANGESET_BASE, else origin/main)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { publishablePackages } from "./workspace-packages.js";

export interface ChangesetCheck {
  status: "ok" | "fail" | "skip";
  message: string;
  /** The commit compared against, when there is one. */
  base?: string;
  /** Publishable package names with changed files. */
  changedPackages: string[];
  /** Changeset files added since the base. */
  changesets: string[];
  /** Packages the added changesets name (empty changesets name none). */
  namedPackages: string[];
}

function git(cwd: string, args: string[]): string | undefined {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The commit to compare HEAD with: the merge-base of HEAD and `ref` when the
 * ref exists (only what this branch added counts), else HEAD~1, else none
 * (a fresh single-commit clone has nothing to compare).
 */
export function resolveBase(cwd: string, ref: string): { base?: string; how: string } {
  if (git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])) {
    const mb = git(cwd, ["merge-base", ref, "HEAD"]);
    if (mb) return { base: mb, how: `merge-base of HEAD and ${ref}` };
  }
  const prev = git(cwd, ["rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"]);
  if (prev) return { base: prev, how: `HEAD~1 (${ref} not found)` };
  return { how: `neither ${ref} nor HEAD~1 exists` };
}

/** Package names in a changeset's front matter ("'@xdskit/x': patch" lines). */
export function changesetPackages(markdown: string): string[] {
  const m = /^---\r?\n([\s\S]*?)\r?\n?---/.exec(markdown);
  if (!m) return [];
  const names: string[] = [];
  for (const line of (m[1] ?? "").split(/\r?\n/)) {
    const n = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (n?.[1]) names.push(n[1].trim());
  }
  return names;
}

export function checkChangesets(cwd: string, ref = process.env.CHANGESET_BASE || "origin/main"): ChangesetCheck {
  const empty = { changedPackages: [], changesets: [], namedPackages: [] };
  if (!git(cwd, ["rev-parse", "--is-inside-work-tree"])) {
    return { status: "skip", message: "not a git work tree: nothing to compare", ...empty };
  }
  const { base, how } = resolveBase(cwd, ref);
  if (!base) return { status: "skip", message: `no base to compare with (${how}): skipped`, ...empty };
  const changed = (git(cwd, ["diff", "--name-only", base, "HEAD"]) ?? "").split("\n").filter(Boolean);
  const folders = new Map(publishablePackages(cwd).map((p) => [p.folder, p.name]));
  const changedPackages = [
    ...new Set(
      changed
        .map((f) => /^packages\/([^/]+)\//.exec(f)?.[1])
        .filter((f): f is string => f !== undefined && folders.has(f))
        .map((f) => folders.get(f) as string),
    ),
  ].sort();
  const added = (git(cwd, ["diff", "--name-only", "--diff-filter=A", base, "HEAD", "--", ".changeset"]) ?? "")
    .split("\n")
    .filter((f) => /^\.changeset\/[^/]+\.md$/.test(f) && !/README\.md$/i.test(f));
  const namedPackages = [
    ...new Set(added.flatMap((f) => (existsSync(join(cwd, f)) ? changesetPackages(readFileSync(join(cwd, f), "utf8")) : []))),
  ].sort();
  const result = { base, changedPackages, changesets: added, namedPackages };
  const since = `since ${base.slice(0, 12)} (${how})`;
  if (changedPackages.length === 0) return { status: "ok", message: `no publishable package changed ${since}`, ...result };
  if (added.length === 0) {
    return {
      status: "fail",
      message:
        `${changedPackages.join(", ")} changed ${since} but no changeset was added.\n` +
        "Run `pnpm changeset` to record the change (or `pnpm changeset --empty` when it needs no release).",
      ...result,
    };
  }
  const unnamed = changedPackages.filter((n) => !namedPackages.includes(n));
  const note = unnamed.length > 0 && namedPackages.length > 0 ? `; not named by any changeset (fine if intended): ${unnamed.join(", ")}` : "";
  return { status: "ok", message: `${added.length} changeset(s) added ${since} for ${changedPackages.join(", ")}${note}`, ...result };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
  const r = checkChangesets(root);
  console.log(`changeset check: ${r.status}: ${r.message}`);
  process.exit(r.status === "fail" ? 1 : 0);
}
