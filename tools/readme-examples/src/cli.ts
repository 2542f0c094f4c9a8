// Type-checks and runs every marked example in the package READMEs and in
// docs/, so a README or guide that drifts from the API fails the test command.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runBounded } from "./bounded-run.js";
import { extractExamples } from "./extract.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
const tsx = require.resolve("tsx/cli");

let passed = 0;
let failed = 0;
const failures: string[] = [];

/** A Markdown file whose marked examples run in `work`, with `env` added to the environment. */
interface Document {
  readonly markdown: string;
  readonly work: string;
  readonly env: NodeJS.ProcessEnv;
}

const documents: Document[] = [];
for (const group of ["packages", "apps"]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base).sort()) {
    const dir = join(base, name);
    documents.push({ markdown: join(dir, "README.md"), work: join(dir, ".readme-examples"), env: {} });
  }
}
// The guides in docs/ run from this package, whose dependencies are the packages they import.
// XDS_PORT=0: a guide's server binds a free port rather than its documented default.
const docs = join(root, "docs");
if (existsSync(docs)) {
  for (const name of readdirSync(docs).sort()) {
    if (!name.endsWith(".md")) continue;
    const work = join(root, "tools/readme-examples/.readme-examples", name.replace(/\.md$/, ""));
    documents.push({ markdown: join(docs, name), work, env: { XDS_PORT: "0" } });
  }
}

// Arguments, if any, keep only the documents whose path (from the root) starts with one of them.
const only = process.argv.slice(2);
for (const { markdown: readme, work, env } of documents) {
  if (!existsSync(readme)) continue;
  if (only.length > 0 && !only.some((prefix) => relative(root, readme).startsWith(prefix))) continue;
  const examples = extractExamples(readFileSync(readme, "utf8"));
  if (examples.length === 0) continue;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const files = examples.map((src, i) => {
    const f = join(work, `example-${i + 1}.ts`);
    writeFileSync(f, src);
    return f;
  });
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({ extends: relative(work, join(root, "tsconfig.base.json")), compilerOptions: { noEmit: true, noUnusedLocals: false }, include: ["*.ts"] }),
  );
  const label = relative(root, readme);
  // tsc takes seconds here; the bound is for a child that stops making progress, tried once more.
  const check = runBounded([tsc, "-p", join(work, "tsconfig.json")], { label: `tsc -p ${relative(root, work)}`, timeoutMs: 300_000, attempts: 2 });
  for (const t of check.timeouts) console.error(`slow ${t}`);
  if (check.status !== 0) {
    failed += files.length;
    failures.push(`${label}: ${check.status === null ? "type check did not finish" : "type errors"}\n${check.output}`);
    continue;
  }
  for (const f of files) {
    const name = `${label} ${relative(work, f)}`;
    const r = runBounded([tsx, f], { label: name, timeoutMs: 120_000, attempts: 1, cwd: work, env: { ...process.env, ...env } });
    if (r.status === 0) {
      passed++;
      console.log(`ok   ${name}`);
    } else {
      failed++;
      failures.push(`${name} ${r.status === null ? r.timeouts.join("; ") : `exited ${r.status}`}\n${r.output}`);
    }
  }
}

for (const f of failures) console.error(`FAIL ${f}`);
mkdirSync(join(root, ".test-results"), { recursive: true });
writeFileSync(join(root, ".test-results/readme-examples.json"), JSON.stringify({ numPassedTests: passed, numFailedTests: failed }));
console.log(`readme examples: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
