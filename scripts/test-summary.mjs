// The test command's bookkeeping, one run (one Node version) at a time:
//
//   node scripts/test-summary.mjs collect "<label>" "<what ran>"   after a run: moves every vitest
//       JSON report (and the README example and packed-install reports) into .test-results/runs/<n>/
//   node scripts/test-summary.mjs                     at the end: one line per run, the failed tests,
//       and the closing "tests: N passed, N failed (...)" line over all runs, for humans and CI alike
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const runsDir = join(root, ".test-results/runs");

function reportFiles() {
  const files = [join(root, ".test-results/readme-examples.json"), join(root, ".test-results/packed-install.json"), join(root, ".test-results/guide-check.json")];
  for (const group of ["packages", "apps", "tools", "."]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    const dirs = group === "." ? ["bench"] : readdirSync(base);
    for (const d of dirs) files.push(join(base, d, ".test-results/vitest.json"));
  }
  return files.filter((f) => existsSync(f));
}

function collect(label, what) {
  mkdirSync(runsDir, { recursive: true });
  const dir = join(runsDir, String(readdirSync(runsDir).length + 1).padStart(2, "0"));
  mkdirSync(dir);
  writeFileSync(join(dir, "run.json"), `${JSON.stringify({ label, what })}\n`);
  for (const f of reportFiles()) renameSync(f, join(dir, relative(root, f).replaceAll("/", "__")));
}

function count(report, name) {
  const failedTests = [];
  for (const file of report.testResults ?? []) {
    const failing = (file.assertionResults ?? []).filter((a) => a.status === "failed");
    for (const a of failing) failedTests.push(`${relative(root, file.name ?? name)} > ${a.fullName ?? a.title}`);
    if (failing.length === 0 && file.status === "failed") failedTests.push(`${relative(root, file.name ?? name)}: ${(file.message ?? "failed").split("\n")[0]}`);
  }
  return {
    passed: report.numPassedTests ?? 0,
    // A suite that failed to load counts once when no test of it failed.
    failed: (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0) * (report.numFailedTests ? 0 : 1),
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    failedTests,
  };
}

function summarize() {
  const runs = existsSync(runsDir) ? readdirSync(runsDir).sort() : [];
  const total = { passed: 0, failed: 0, skipped: 0 };
  const parts = [];
  let empty = 0;
  for (const r of runs) {
    const dir = join(runsDir, r);
    const { label, what } = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    const sum = { passed: 0, failed: 0, skipped: 0, failedTests: [] };
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json") && n !== "run.json")) {
      const c = count(JSON.parse(readFileSync(join(dir, f), "utf8")), f);
      sum.passed += c.passed;
      sum.failed += c.failed;
      sum.skipped += c.skipped;
      sum.failedTests.push(...c.failedTests);
    }
    console.log(`${label} (${what}): ${sum.passed} passed, ${sum.failed} failed${sum.skipped ? `, ${sum.skipped} skipped` : ""}`);
    // A run that ran nothing did not pass.
    if (sum.passed === 0) {
      empty++;
      console.log(`  FAILED ${label}: no test ran`);
    }
    for (const t of sum.failedTests.slice(0, 30)) console.log(`  FAILED ${t}`);
    if (sum.failedTests.length > 30) console.log(`  ... and ${sum.failedTests.length - 30} more`);
    total.passed += sum.passed;
    total.failed += sum.failed;
    total.skipped += sum.skipped;
    parts.push(`${label}: ${sum.passed} passed, ${sum.failed} failed`);
  }
  const by = parts.length > 0 ? ` (${parts.join("; ")})` : "";
  console.log(`tests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}${by}`);
  process.exit(total.failed > 0 || empty > 0 || runs.length === 0 ? 1 : 0);
}

if (process.argv[2] === "collect") collect(process.argv[3] ?? "unlabelled run", process.argv[4] ?? "");
else summarize();
