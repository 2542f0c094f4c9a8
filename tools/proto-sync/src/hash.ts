import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every regular file below `dir`, as sorted forward-slash paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** Per-file sha256 of a tree, keyed by relative path. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(dir)) out[f] = sha256(readFileSync(join(dir, f)));
  return out;
}

/** One digest for a whole tree: sha256 over "path\0digest\n" lines in path order. */
export function treeDigest(files: Record<string, string>): string {
  return sha256(
    Object.keys(files)
      .sort()
      .map((k) => `${k}\0${files[k]}\n`)
      .join(""),
  );
}
