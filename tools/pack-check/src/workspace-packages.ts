// Finds the publishable packages (every packages/* with a non-private
// package.json), so a package added later is checked without code changes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";

export interface Manifest {
  name?: string;
  version?: string;
  private?: boolean;
  type?: string;
  sideEffects?: boolean | string[];
  files?: string[];
  exports?: unknown;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  name: string;
  /** The folder name under packages/. */
  folder: string;
  dir: string;
  manifest: Manifest;
}

/** The scope every internal package lives in. */
export const internalScope = "@xdskit/";

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every non-private package under `<root>/packages`, sorted by folder. */
export function publishablePackages(root: string): WorkspacePackage[] {
  const base = join(root, "packages");
  if (!existsSync(base)) return [];
  const out: WorkspacePackage[] = [];
  for (const folder of readdirSync(base).sort()) {
    const dir = join(base, folder);
    if (!existsSync(join(dir, "package.json"))) continue;
    const manifest = readManifest(dir);
    if (manifest.private === true || !manifest.name) continue;
    out.push({ name: manifest.name, folder, dir, manifest });
  }
  return out;
}

/** Runtime internal dependencies of one manifest (dependencies and peers, not dev). */
export function internalDeps(manifest: Manifest): string[] {
  const names = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  return [...names].filter((n) => n.startsWith(internalScope)).sort();
}

/**
 * The internal packages `names` need at runtime, transitively, themselves
 * included. Throws when one of them is not a publishable package: a
 * published package cannot depend on a private one.
 */
export function internalClosure(names: Iterable<string>, all: readonly WorkspacePackage[]): WorkspacePackage[] {
  const byName = new Map(all.map((p) => [p.name, p]));
  const seen = new Map<string, WorkspacePackage>();
  const visit = (name: string, from: string) => {
    if (seen.has(name)) return;
    const pkg = byName.get(name);
    if (!pkg) throw new Error(`${from} needs ${name}, which is not a publishable package under packages/`);
    seen.set(name, pkg);
    for (const dep of internalDeps(pkg.manifest)) visit(dep, name);
  };
  for (const n of names) visit(n, "the example");
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Peer dependencies of a set of packages, merged (the first range seen wins). */
export function peerDeps(pkgs: readonly WorkspacePackage[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pkgs) {
    for (const [name, range] of Object.entries(p.manifest.peerDependencies ?? {})) {
      if (!name.startsWith(internalScope) && !(name in out)) out[name] = range;
    }
  }
  return out;
}

/**
 * The version range the workspace itself uses for a third-party package
 * (any package's dependencies, peers or devDependencies, the root's too), so
 * an example's extra imports install what the code was tested with.
 */
export function workspaceRange(root: string, name: string): string | undefined {
  const dirs = [root];
  for (const group of ["packages", "apps", "tools"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) dirs.push(join(base, d));
  }
  for (const dir of dirs) {
    if (!existsSync(join(dir, "package.json"))) continue;
    const m = readManifest(dir);
    const range = m.peerDependencies?.[name] ?? m.dependencies?.[name] ?? m.devDependencies?.[name];
    if (range && !range.startsWith("workspace:")) return range;
  }
  return undefined;
}

/** Package names an example imports (bare specifiers only; node: builtins and relative paths skipped). */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'./][^"']*)["']/g;
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? "";
    if (spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0] ?? spec)) continue;
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec));
  }
  return [...names].sort();
}
