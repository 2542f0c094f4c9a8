// The getting-started guide (docs/getting-started.md) as a newcomer meets it,
// from the published packages alone: every publishable package is packed; a
// scratch project outside the repository installs exactly the guide's install
// line (our packages from the tarballs, everything else from the registry);
// the guide's program is type-checked with the strictest settings a user may
// have (skipLibCheck: false, lib: ["ES2022"] and no other, no DOM,
// exactOptionalPropertyTypes); then it runs against a real Envoy started from
// the bootstrap the program writes, and the check follows the guide: traffic
// reaches the first backend, follows an endpoint move to the second, a host
// name is refused by the builder, a listener moved onto a port in use is
// NACKed (traffic stays), an Envoy with the wrong node id is named in a
// warning with the keys that exist, and Ctrl-C stops it cleanly.
//
//   tsx src/guide-check.ts [--keep]
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type EnvoyProcess, get, startEnvoy, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { parse as parseYaml } from "yaml";
import { extractExamples } from "../../readme-examples/src/extract.js";
import { run } from "./run.js";
import { npmEnv, tarballName } from "./scratch-project.js";
import { internalClosure, internalScope, publishablePackages, readManifest, workspaceRange } from "./workspace-packages.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const { values: args } = parseArgs({ options: { keep: { type: "boolean", default: false } } });
const guidePath = join(root, "docs/getting-started.md");
const pnpm = join(root, "scripts/pnpm.sh");

/** The settings the guide promises its program compiles under, with no extra lib. */
export const strictCompilerOptions = {
  target: "ES2022",
  lib: ["ES2022"],
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

/** The packages of the guide's `npm install` lines: [dependencies, dev dependencies]. */
export function installLines(markdown: string): [string[], string[]] {
  const deps: string[] = [];
  const dev: string[] = [];
  for (const line of markdown.split("\n")) {
    const m = /^npm install (--save-dev )?(.+)$/.exec(line.trim());
    if (m === null) continue;
    (m[1] === undefined ? deps : dev).push(...(m[2] ?? "").split(/\s+/).filter((s) => s !== ""));
  }
  return [deps, dev];
}

let passed = 0;
let failed = 0;
const failures: string[] = [];
async function step(name: string, fn: () => Promise<void>): Promise<boolean> {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return true;
  } catch (error) {
    failed++;
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    console.log(`FAIL ${name}`);
    return false;
  }
}

/** Polls `check` until it returns without throwing; throws its last error after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const started = Date.now();
const markdown = readFileSync(guidePath, "utf8");
const [program] = extractExamples(markdown);
const [deps, devDeps] = installLines(markdown);
const work = mkdtempSync(join(tmpdir(), "xdskit-guide-check-"));
const scratch = join(work, "guide");
const upstreams: Upstream[] = [];
const envoys: EnvoyProcess[] = [];
let controlPlane: ChildProcess | undefined;
let stdout = "";
let stderr = "";

try {
  if (program === undefined) throw new Error("docs/getting-started.md has no <!-- readme-example --> program");
  if (deps.length === 0) throw new Error("docs/getting-started.md has no npm install line");
  const all = publishablePackages(root);
  const internal = deps.filter((d) => d.startsWith(internalScope));
  const closure = internalClosure(internal, all);

  await step("pack the packages the guide installs, and what they need", async () => {
    const packDir = join(work, "tarballs");
    mkdirSync(packDir);
    const r = await run(pnpm, ["-r", ...closure.flatMap((p) => ["--filter", p.name]), "pack", "--pack-destination", packDir], {
      cwd: root,
      timeoutMs: 300_000,
    });
    if (r.code !== 0) throw new Error(`pnpm pack:\n${r.output}`);
    const tarballs = new Map(closure.map((p) => [p.name, join(packDir, tarballName(p))]));
    for (const [name, tarball] of tarballs) if (!existsSync(tarball)) throw new Error(`no tarball for ${name}`);
    const file = (name: string) => `file:${tarballs.get(name)}`;
    const range = (name: string) => (name.startsWith(internalScope) ? file(name) : (workspaceRange(root, name) ?? "*"));
    const rootManifest = readManifest(root);
    const devRange = (name: string) => rootManifest.devDependencies?.[name] ?? workspaceRange(root, name) ?? "*";
    mkdirSync(scratch);
    writeFileSync(
      join(scratch, "package.json"),
      JSON.stringify(
        {
          name: "guide",
          private: true,
          type: "module",
          dependencies: Object.fromEntries(deps.map((d) => [d, range(d)])),
          devDependencies: Object.fromEntries(devDeps.map((d) => [d, devRange(d)])),
          // Internal packages installed as dependencies of others come from the tarballs too.
          overrides: Object.fromEntries(closure.map((p) => [p.name, file(p.name)])),
        },
        null,
        2,
      ),
    );
  });

  await step("npm install: exactly the guide's install lines, our packages from the tarballs", async () => {
    const r = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: scratch,
      env: npmEnv(),
      timeoutMs: 300_000,
    });
    if (r.code !== 0) throw new Error(r.output);
    const lock = JSON.parse(readFileSync(join(scratch, "package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string }>;
    };
    const fromRegistry = Object.entries(lock.packages)
      .filter(([k, v]) => k.includes(`node_modules/${internalScope}`) && !(v.resolved ?? "").startsWith("file:"))
      .map(([k]) => k);
    if (fromRegistry.length > 0) throw new Error(`internal packages not from the tarballs: ${fromRegistry.join(", ")}`);
  });

  await step('strict compile: skipLibCheck false, lib ["ES2022"] only, exactOptionalPropertyTypes', async () => {
    writeFileSync(join(scratch, "control-plane.ts"), program);
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({ compilerOptions: strictCompilerOptions, include: ["control-plane.ts"] }, null, 2),
    );
    const r = await run(process.execPath, [join(scratch, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
      cwd: scratch,
      timeoutMs: 300_000,
    });
    if (r.code !== 0) throw new Error(`tsc:\n${r.output}`);
  });

  let listenerPort = 0;
  const ok = await step("the program starts, Envoy starts from the envoy.yaml it wrote, traffic reaches backend 1", async () => {
    upstreams.push(await startUpstream("backend-1"), await startUpstream("backend-2"));
    const child = spawn(process.execPath, [join(scratch, "node_modules/tsx/dist/cli.mjs"), "control-plane.ts"], {
      cwd: scratch,
      // Ports 0: nothing here binds a port chosen beforehand (Envoy's listener, the xDS server).
      env: { ...process.env, PORT: "0", XDS_PORT: "0", BACKEND: `127.0.0.1:${upstreams[0]?.port}` },
      stdio: ["pipe", "pipe", "pipe"],
    });
    controlPlane = child;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    await eventually("the program prints where xDS is", () => {
      if (!stdout.includes("start Envoy with: envoy -c envoy.yaml")) throw new Error(`output so far: ${stdout}${stderr}`);
    });
    const bootstrap = parseYaml(readFileSync(join(scratch, "envoy.yaml"), "utf8")) as Record<string, unknown>;
    const envoy = await startEnvoy({ bootstrap, name: "guide" });
    envoys.push(envoy);
    listenerPort = (await envoy.waitForListenerPorts(["ingress"])).ingress;
    await eventually("traffic reaches backend-1", async () => expectEqual((await get(listenerPort, "/")).body, "backend-1 GET /", "answer"));
  });

  if (ok) {
    await step("traffic follows an endpoint move typed into the program", async () => {
      const t0 = Date.now();
      controlPlane?.stdin?.write(`127.0.0.1:${upstreams[1]?.port}\n`);
      await eventually("traffic reaches backend-2", async () => expectEqual((await get(listenerPort, "/")).body, "backend-2 GET /", "answer"));
      console.log(`     traffic followed the move in ${Date.now() - t0} ms`);
    });

    await step("a host name is refused by the builder, naming the field; traffic stays", async () => {
      controlPlane?.stdin?.write(`localhost:${upstreams[0]?.port}\n`);
      const expected = 'BuilderError: ClusterLoadAssignment "backend" endpoints[0].host: must be an IP address';
      await eventually("the builder's error is printed", () => {
        if (!stdout.includes(expected)) throw new Error("not printed yet");
      });
      expectEqual((await get(listenerPort, "/")).body, "backend-2 GET /", "answer after the refused address");
    });

    await step("a listener moved onto a port in use is NACKed; the program prints Envoy's reason; traffic stays", async () => {
      controlPlane?.stdin?.write(`:${upstreams[0]?.port}\n`);
      const nack = /NACK from envoy-1 of type\.googleapis\.com\/envoy\.config\.listener\.v3\.Listener v2: (.*)/;
      const reason = await eventually("the NACK is printed", () => {
        const m = nack.exec(stdout);
        if (m === null) throw new Error("no NACK line yet");
        return m[1] ?? "";
      });
      console.log(`     Envoy's reason: ${reason}`);
      expectEqual((await get(listenerPort, "/")).body, "backend-2 GET /", "answer after the NACK");
      controlPlane?.stdin?.write(`127.0.0.1:${upstreams[0]?.port}\n`);
      await eventually("endpoints still move after the NACK", async () =>
        expectEqual((await get(listenerPort, "/")).body, "backend-1 GET /", "answer"),
      );
    });

    await step("an Envoy with the wrong node id is named in a warning with the keys that exist", async () => {
      const bootstrap = parseYaml(readFileSync(join(scratch, "envoy.yaml"), "utf8")) as { node: { id: string } };
      bootstrap.node.id = "envoy-2";
      const wrong = await startEnvoy({ bootstrap, name: "guide-wrong-node", waitReady: false });
      envoys.push(wrong);
      const expected =
        'no snapshot for node "envoy-2" (cluster "guide") under node key "envoy-2": its requests wait until setSnapshot("envoy-2", …); snapshots are set for 1 node key: "envoy-1"';
      await eventually("the warning", () => {
        if (!stderr.includes(expected)) throw new Error(`not in the program's stderr:\n${stderr}`);
      });
      expectEqual((await wrong.admin("/ready").catch((e: unknown) => String(e))).includes("LIVE"), false, "the wrong Envoy is live");
      await wrong.stop();
    });

    await step("Ctrl-C: the server closes, the program prints stopped and exits 0, nothing logged as a failure", async () => {
      const child = controlPlane;
      if (child === undefined) throw new Error("no program");
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGINT");
      const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 15_000))]);
      expectEqual(code, 0, "exit code");
      if (!stdout.trimEnd().endsWith("stopped")) throw new Error(`the output does not end with "stopped":\n${stdout.slice(-2000)}`);
      if (/stream failed/.test(stdout + stderr)) throw new Error(`a deliberate shutdown was logged as a failure:\n${stdout}${stderr}`);
      if (!/xds stream closed.*server shutdown/s.test(stdout)) throw new Error(`no "xds stream closed" (server shutdown) line:\n${stdout.slice(-2000)}`);
      // Envoy keeps the last configuration it accepted when its control plane goes away.
      expectEqual((await get(listenerPort, "/")).body, "backend-1 GET /", "answer with the control plane stopped");
    });
  }
} catch (error) {
  failed++;
  failures.push(error instanceof Error ? error.message : String(error));
} finally {
  controlPlane?.kill("SIGKILL");
  for (const envoy of envoys) await envoy.stop();
  for (const upstream of upstreams) await upstream.close();
  if (failed > 0) console.log(`program output:\n${stdout}\n${stderr}`);
  if (args.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

for (const f of failures) console.error(`FAIL ${f}`);
mkdirSync(join(root, ".test-results"), { recursive: true });
writeFileSync(join(root, ".test-results/guide-check.json"), JSON.stringify({ numPassedTests: passed, numFailedTests: failed }));
console.log(`guide check: ${passed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(failed > 0 ? 1 : 0);
