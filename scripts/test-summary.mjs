// Adds up every vitest JSON report (and the README example and packed-install runs) into one
// closing line, "tests: N passed, N failed", for humans and CI alike.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const reports = [join(root, ".test-results/readme-examples.json"), join(root, ".test-results/packed-install.json")];
for (const group of ["packages", "apps", "tools", "."]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  const dirs = group === "." ? ["bench"] : readdirSync(base);
  for (const d of dirs) reports.push(join(base, d, ".test-results/vitest.json"));
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of reports) {
  if (!existsSync(r)) continue;
  const j = JSON.parse(readFileSync(r, "utf8"));
  passed += j.numPassedTests ?? 0;
  failed += (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0) * (j.numFailedTests ? 0 : 1);
  skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
