// Static checks of a publishable package's package.json and built output:
// what publint and attw do not know about our house rules.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { importedPackages, internalScope, type Manifest } from "./workspace-packages.js";

/** Packages users must share with us one copy of: always peers, never dependencies. */
export const peerOnly = ["@bufbuild/protobuf", "@connectrpc/connect"];

/** Problems with a publishable manifest, each naming the field; empty when it is right. */
export function manifestProblems(m: Manifest): string[] {
  const out: string[] = [];
  if (m.type !== "module") out.push(`"type" must be "module"`);
  if (m.sideEffects !== false) out.push(`"sideEffects" must be false (nothing runs on import)`);
  if (!Array.isArray(m.files) || !m.files.includes("dist")) out.push(`"files" must list "dist" (and only what users need)`);
  if (!m.version) out.push(`"version" is missing`);
  if (!m.scripts?.["pack:lint"]) out.push(`scripts."pack:lint" is missing (publint --strict && attw --pack . --profile esm-only)`);
  const exp = m.exports;
  if (typeof exp !== "object" || exp === null || Array.isArray(exp)) {
    out.push(`"exports" must be a subpath map`);
  } else {
    for (const [sub, target] of Object.entries(exp as Record<string, unknown>)) {
      if (sub === "./package.json") continue;
      if (typeof target !== "object" || target === null) {
        out.push(`exports["${sub}"] must be a conditions object with "types" first`);
        continue;
      }
      const keys = Object.keys(target);
      if (keys[0] !== "types") out.push(`exports["${sub}"] must have "types" as its first condition`);
      if (!keys.includes("default") && !keys.includes("import")) out.push(`exports["${sub}"] needs a "default" (or "import") condition`);
    }
  }
  for (const [name, range] of Object.entries(m.dependencies ?? {})) {
    if (peerOnly.includes(name)) out.push(`dependencies."${name}" must be a peerDependency (one copy shared with the user)`);
    if (name.startsWith(internalScope) && !range.startsWith("workspace:")) out.push(`dependencies."${name}" must be "workspace:^"`);
  }
  for (const name of Object.keys(m.peerDependencies ?? {})) {
    if (!m.devDependencies?.[name] && !m.dependencies?.[name]) out.push(`peerDependencies."${name}" must also be a devDependency (to build and test)`);
  }
  return out;
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.(js|d\.ts)$/.test(e.name) && !/\.test\./.test(e.name)) yield p;
  }
}

/**
 * Packages the built output imports that the manifest does not declare
 * (dependencies or peers): inside the workspace they resolve by accident,
 * installed alone they do not. Returns "package (first file)" strings.
 */
export function undeclaredImports(dir: string, m: Manifest): string[] {
  const dist = join(dir, "dist");
  if (!existsSync(dist)) return [];
  const declared = new Set([m.name, ...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
  const found = new Map<string, string>();
  for (const file of walk(dist)) {
    for (const name of importedPackages(readFileSync(file, "utf8"))) {
      if (!declared.has(name) && !found.has(name)) found.set(name, file.slice(dir.length + 1));
    }
  }
  return [...found].map(([name, file]) => `${name} (imported by ${file})`);
}
