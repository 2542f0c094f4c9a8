// The packed-install test: every publishable package is packed with pnpm
// (which turns workspace:^ into real versions), installed with npm from its
// tarball into its own scratch project outside the repository, beside only
// its peers, the tarballs of its internal deps and what its README example
// imports, and then its README examples are type-checked with a strict
// tsconfig and run. A package that only works inside the monorepo fails here.
//
//   tsx src/packed-install.ts [--only name[,name]] [--keep] [--concurrency N]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { extractExamples } from "../../readme-examples/src/extract.js";
import { manifestProblems, undeclaredImports } from "./manifest-check.js";
import { pool, run } from "./run.js";
import { npmEnv, tarballName } from "./scratch-project.js";
import { formatBytes, type TarballSize, tarballSize } from "./tarball-size.js";
import {
  importedPackages,
  internalClosure,
  internalScope,
  peerDeps,
  publishablePackages,
  readManifest,
  type WorkspacePackage,
  workspaceRange,
} from "./workspace-packages.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    keep: { type: "boolean", default: false },
    concurrency: { type: "string", default: process.env.PACK_CHECK_CONCURRENCY ?? "2" },
  },
});
const concurrency = Math.max(1, Number(args.concurrency) || 2);
const pnpm = join(root, "scripts/pnpm.sh");

/** The strict settings README examples must compile under, as a user's project would set them. */
export const scratchCompilerOptions = {
  target: "ES2022",
  lib: ["ES2023"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: false,
  types: ["node"],
  noEmit: true,
};

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  log: string[];
}

const all = publishablePackages(root);
const only = args.only?.split(",").map((s) => (s.startsWith(internalScope) ? s : `${internalScope}${s}`));
const selected = only ? all.filter((p) => only.includes(p.name)) : all;
if (only && selected.length !== only.length) {
  console.error(`unknown package in --only: ${only.filter((n) => !all.some((p) => p.name === n)).join(", ")}`);
  process.exit(2);
}
const rootManifest = readManifest(root);
const tooling = {
  typescript: rootManifest.devDependencies?.typescript ?? "latest",
  "@types/node": rootManifest.devDependencies?.["@types/node"] ?? "latest",
  tsx: rootManifest.devDependencies?.tsx ?? "latest",
};

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "xdskit-pack-check-"));
const packDir = join(work, "tarballs");
mkdirSync(packDir);
const outcomes: Outcome[] = [];

// 1. Pack every publishable package once; scratch projects share the tarballs.
const packed = new Map<string, string>();
const tarballSizesByName = new Map<string, TarballSize>();
const packFailures = new Map<string, string>();
const packStarted = Date.now();
const packable = all.filter((p) => existsSync(join(p.dir, "dist")));
for (const p of all) if (!packable.includes(p)) packed.set(p.name, "");
// One recursive pnpm pack is ~10x faster than one pnpm per package; when it
// fails, each package is packed alone to learn which one and why.
const recursive = await run(pnpm, ["-r", ...packable.flatMap((p) => ["--filter", p.name]), "pack", "--pack-destination", packDir], {
  cwd: root,
  timeoutMs: 300_000,
});
await pool(packable, concurrency, async (p) => {
  const file = join(packDir, tarballName(p));
  if (recursive.code !== 0 || !existsSync(file)) {
    rmSync(file, { force: true });
    const r = await run(pnpm, ["pack", "--pack-destination", packDir], { cwd: p.dir, timeoutMs: 120_000 });
    if (r.code !== 0 || !existsSync(file)) {
      packFailures.set(p.name, r.output.trim());
      return;
    }
  }
  packed.set(p.name, file);
  tarballSizesByName.set(p.name, tarballSize(file));
});
console.log(`packed ${all.length} packages in ${((Date.now() - packStarted) / 1000).toFixed(1)}s`);

// 2. One scratch project per package.
async function check(p: WorkspacePackage): Promise<Outcome> {
  const t0 = Date.now();
  const o: Outcome = { name: p.name, passed: 0, failed: 0, skipped: 0, ms: 0, log: [] };
  const fail = (what: string) => {
    o.failed++;
    o.log.push(`FAIL ${what}`);
  };
  const finish = () => {
    o.ms = Date.now() - t0;
    return o;
  };

  const problems = [
    ...manifestProblems(p.manifest).map((s) => `package.json: ${s}`),
    ...undeclaredImports(p.dir, p.manifest).map((s) => `dist imports an undeclared package: ${s}`),
  ];
  if (packed.get(p.name) === "") problems.push("no dist/: build it first (turbo run build)");
  const packFailure = packFailures.get(p.name);
  if (packFailure) problems.push(`pnpm pack failed (so would pnpm publish):\n    ${packFailure.replace(/\n/g, "\n    ")}`);
  if (packFailure?.includes("CANNOT_RESOLVE_WORKSPACE_PROTOCOL")) {
    problems.push('a workspace: dependency (devDependencies too) points at a package without a "version": give it one ("0.0.0" for a private tool)');
  }
  if (problems.length > 0) {
    fail(`${p.name} manifest\n  ${problems.join("\n  ")}`);
    return finish();
  }
  o.passed++; // the manifest check

  const readme = join(p.dir, "README.md");
  let examples: string[] = [];
  try {
    examples = existsSync(readme) ? extractExamples(readFileSync(readme, "utf8")) : [];
  } catch (e) {
    fail(`${p.name} README: ${(e as Error).message}`);
    return finish();
  }
  if (examples.length === 0) {
    o.skipped++;
    o.log.push(`SKIP ${p.name}: no <!-- readme-example --> block in README.md (only the import smoke test ran)`);
  }

  // Every exported subpath but wildcards must load and have exports.
  const subpaths = Object.keys((p.manifest.exports ?? {}) as Record<string, unknown>).filter(
    (s) => s !== "./package.json" && !s.includes("*"),
  );
  const specs = subpaths.map((s) => (s === "." ? p.name : `${p.name}/${s.slice(2)}`));
  const smoke = [
    ...specs.map((s, i) => `import * as m${i} from "${s}";`),
    `const loaded: Record<string, number> = { ${specs.map((s, i) => `"${s}": Object.keys(m${i}).length`).join(", ")} };`,
    `const empty = Object.entries(loaded).filter(([, n]) => n === 0).map(([s]) => s);`,
    `if (empty.length > 0) throw new Error(\`no exports: \${empty.join(", ")}\`);`,
    `console.log(JSON.stringify(loaded));`,
    "",
  ].join("\n");

  const exampleImports = new Set(examples.flatMap((e) => importedPackages(e)));
  let closure: WorkspacePackage[];
  try {
    closure = internalClosure([p.name, ...[...exampleImports].filter((n) => n.startsWith(internalScope))], all);
  } catch (e) {
    fail(`${p.name}: ${(e as Error).message}`);
    return finish();
  }
  const unpacked = closure.filter((c) => !packed.get(c.name)).map((c) => c.name);
  if (unpacked.length > 0) {
    fail(`${p.name}: needs ${unpacked.join(", ")}, which could not be packed`);
    return finish();
  }
  const fileSpec = (name: string) => `file:${packed.get(name)}`;
  const deps: Record<string, string> = { [p.name]: fileSpec(p.name), ...peerDeps(closure) };
  for (const name of exampleImports) {
    if (name in deps) continue;
    if (name.startsWith(internalScope)) deps[name] = fileSpec(name);
    else deps[name] = workspaceRange(root, name) ?? "*";
  }
  Object.assign(deps, tooling);
  const overrides = Object.fromEntries(closure.map((c) => [c.name, fileSpec(c.name)]));

  const dir = join(work, `scratch-${p.folder}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `scratch-${p.folder}`, private: true, type: "module", dependencies: deps, overrides }, null, 2),
  );
  const files = [...examples.map((_, i) => `example-${i + 1}.ts`), "smoke.ts"];
  for (const [i, src] of examples.entries()) writeFileSync(join(dir, `example-${i + 1}.ts`), src);
  writeFileSync(join(dir, "smoke.ts"), smoke);
  // @connectrpc/connect's own declarations use fetch types (HeadersInit) that only
  // the DOM lib declares (no @types/node version does): its users need "DOM".
  const lib = "@connectrpc/connect" in deps ? [...scratchCompilerOptions.lib, "DOM"] : scratchCompilerOptions.lib;
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { ...scratchCompilerOptions, lib }, include: files }, null, 2),
  );

  const inst = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    env: npmEnv(),
    timeoutMs: 300_000,
  });
  o.log.push(`  npm install ${(inst.ms / 1000).toFixed(1)}s`);
  if (inst.code !== 0) {
    fail(`${p.name}: npm install\n${inst.output}`);
    o.failed += files.length;
    return finish();
  }
  // Every @xdskit package must come from our tarballs, never from the registry.
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")) as {
    packages: Record<string, { resolved?: string }>;
  };
  const fromRegistry = Object.entries(lock.packages)
    .filter(([k, v]) => k.includes(`node_modules/${internalScope}`) && !(v.resolved ?? "").startsWith("file:"))
    .map(([k, v]) => `${k} <- ${v.resolved}`);
  if (fromRegistry.length > 0) {
    fail(`${p.name}: internal packages resolved outside the local tarballs:\n  ${fromRegistry.join("\n  ")}`);
    return finish();
  }

  const tsc = await run(process.execPath, [join(dir, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: dir,
    timeoutMs: 300_000,
  });
  o.log.push(`  tsc ${(tsc.ms / 1000).toFixed(1)}s`);
  if (tsc.code !== 0) {
    fail(`${p.name}: type errors (strict NodeNext, skipLibCheck: false)\n${tsc.output}`);
    o.failed += files.length - 1;
    return finish();
  }
  for (const f of files) {
    const r = await run(process.execPath, [join(dir, "node_modules/tsx/dist/cli.mjs"), f], { cwd: dir, timeoutMs: 120_000 });
    if (r.code === 0) {
      o.passed++;
      o.log.push(`ok   ${p.name} ${f} (${(r.ms / 1000).toFixed(1)}s)`);
    } else fail(`${p.name} ${f} exited ${r.code}\n${r.output}`);
  }
  return finish();
}

try {
  const results = await pool(selected, concurrency, async (p) => {
    const o = await check(p);
    console.log(`${o.failed ? "FAIL" : "ok  "} ${o.name} (${(o.ms / 1000).toFixed(1)}s)\n${o.log.join("\n")}`);
    return o;
  });
  outcomes.push(...results);
} finally {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

// 3. Report: sizes, then totals in the form test-summary.mjs adds up.
console.log("\ntarball sizes (packed / unpacked, files):");
const sizes: Record<string, TarballSize> = {};
for (const p of all) {
  const s = tarballSizesByName.get(p.name);
  if (!s) continue;
  sizes[p.name] = s;
  console.log(`  ${p.name.padEnd(28)} ${formatBytes(s.packed).padStart(9)} / ${formatBytes(s.unpacked).padStart(9)}, ${s.files} files`);
}
const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
const skipped = outcomes.reduce((n, o) => n + o.skipped, 0);
mkdirSync(join(root, ".test-results"), { recursive: true });
writeFileSync(
  join(root, ".test-results/packed-install.json"),
  JSON.stringify({ numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped, sizes }, null, 2),
);
console.log(
  `packed install: ${passed} passed, ${failed} failed, ${skipped} skipped, ${selected.length} packages in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
process.exit(failed > 0 ? 1 : 0);
