// `pnpm api:check` / `pnpm api:update` (needs a build: reads each package's dist/*.d.ts).
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { allEntryPoints, reportEntry } from "./api-report.js";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

const mode = process.argv[2] === "update" ? "update" : "check";
let failed = 0;
for (const entry of allEntryPoints(repoRoot)) {
  const outcome = reportEntry(entry, mode);
  const where = relative(repoRoot, `${entry.pkg.dir}/etc/${entry.reportName}.api.md`);
  const stale = mode === "check" && outcome.changed;
  const ok = outcome.problems.length === 0 && !stale;
  if (!ok) failed++;
  const state = stale ? "CHANGED" : ok ? (outcome.changed ? "updated" : "ok") : "FAILED";
  console.log(`${state.padEnd(8)} ${entry.pkg.name}${entry.subpath === "." ? "" : entry.subpath.slice(1)}  ${where}`);
  for (const problem of outcome.problems) console.log(`         ${problem}`);
}
if (mode === "check" && failed > 0) {
  console.log(`\napi reports: ${failed} out of date or failing. If the API change is intended, run \`pnpm api:update\` and commit etc/*.api.md.`);
}
process.exitCode = failed > 0 ? 1 : 0;
