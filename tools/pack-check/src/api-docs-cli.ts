// `pnpm docs`: the API reference in docs/api/ (Markdown, one page per package,
// symbol and member), from the doc comments of every exported symbol.
// `pnpm docs:check`: fails when an exported symbol or member has no doc
// comment or a {@link} resolves to nothing. Both need a build (they read each
// package's dist/*.d.ts, as the API reports do).
//
//   tsx src/api-docs-cli.ts check|generate [--only name[,name]]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { documentEntry } from "./api-docs.js";
import { allEntryPoints } from "./api-report.js";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const { values, positionals } = parseArgs({ options: { only: { type: "string" } }, allowPositionals: true });
const generate = positionals[0] === "generate";
const only = values.only?.split(",").map((s) => (s.startsWith("@") ? s : `@xdskit/${s}`));
const entries = allEntryPoints(repoRoot).filter((e) => only === undefined || only.includes(e.pkg.name));

const models = mkdtempSync(join(tmpdir(), "xdskit-doc-models-"));
let problems = 0;
try {
  for (const entry of entries) {
    const outcome = documentEntry(entry, generate ? models : undefined);
    const label = `${entry.pkg.name}${entry.subpath === "." ? "" : entry.subpath.slice(1)}`;
    console.log(`${outcome.problems.length === 0 ? "ok      " : "FAILED  "} ${label}${outcome.problems.length > 0 ? ` (${outcome.problems.length})` : ""}`);
    for (const problem of outcome.problems) console.log(`         ${problem}`);
    problems += outcome.problems.length;
  }
  if (generate) {
    const out = join(repoRoot, "docs/api");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const documenter = join(repoRoot, "tools/pack-check/node_modules/.bin/api-documenter");
    const r = spawnSync(documenter, ["markdown", "--input-folder", models, "--output-folder", out], { encoding: "utf8" });
    if (r.status !== 0) {
      console.error(`api-documenter failed:\n${r.stdout}${r.stderr}`);
      process.exitCode = 1;
    } else console.log(`API reference written to ${out}`);
  }
} finally {
  rmSync(models, { recursive: true, force: true });
}
console.log(`api docs: ${problems} problem(s) (undocumented exported symbols and members, unresolved {@link}s) in ${entries.length} entry points`);
if (problems > 0) process.exitCode = 1;
