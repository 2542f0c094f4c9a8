// Runs bench/peers/validate (go-control-plane's generated ValidateAll, plus the same recursion
// into Any contents @xdskit/validate does) on resources, for the agreement tests.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { runProcess } from "./run-process.js";

const peerDir = resolve(fileURLToPath(new URL("../../../../bench/peers/validate", import.meta.url)));

/** What the Go peer found wrong with one resource: proto field paths and Go's reasons. */
export interface GoVerdict {
  readonly index: number;
  readonly typeUrl: string;
  readonly violations: readonly { readonly path: string; readonly reason: string }[];
}

let built: string | undefined;

/** Builds the peer once per test process (Go's build cache makes later builds quick). */
export async function goPeer(): Promise<string> {
  if (built !== undefined) return built;
  // Where the bench driver puts it too (ignored by git); builds replace it atomically.
  const out = join(peerDir, "../../.bin/validate-peer");
  const r = await runProcess("go", ["build", "-o", out, "."], { cwd: peerDir, timeoutMs: 600_000 }).catch((error: unknown) => ({ status: null, stdout: "", stderr: String(error) }));
  if (r.status !== 0) throw new Error(`building the Go peer in ${peerDir} failed (is Go installed?): ${r.stderr}`);
  built = out;
  return out;
}

/** The file the peer reads: each Any as a 4-byte big-endian length and its encoding. */
export function resourceFile(resources: readonly Any[]): Uint8Array {
  const parts = resources.map((a) => toBinary(AnySchema, a));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Every violation go-control-plane's ValidateAll finds in each resource (Any contents included). */
export async function goCheck(resources: readonly Any[]): Promise<GoVerdict[]> {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-validate-corpus-"));
  const file = join(dir, "corpus.bin");
  writeFileSync(file, resourceFile(resources));
  const r = await runProcess(await goPeer(), ["check", "-in", file], { timeoutMs: 600_000 });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`validate-peer check failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as GoVerdict);
}

/** Whether Go's regexp matches each input with its pattern. */
export async function goRegexpMatches(cases: readonly { readonly pattern: string; readonly input: string }[]): Promise<boolean[]> {
  const input = cases.map((c) => JSON.stringify(c)).join("\n");
  const r = await runProcess(await goPeer(), ["regex"], { input, timeoutMs: 120_000 });
  if (r.status !== 0) throw new Error(`validate-peer regex failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => line === "1");
}
