import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBounded } from "./bounded-run.js";

const dir = mkdtempSync(join(tmpdir(), "bounded-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("runBounded", () => {
  it("returns the exit code and output of a process that finishes", () => {
    const r = runBounded(["-e", "console.log('out'); console.error('err'); process.exit(3)"], { label: "exit", timeoutMs: 30_000, attempts: 2 });
    expect(r.status).toBe(3);
    expect(r.output).toContain("out");
    expect(r.output).toContain("err");
    expect(r.timeouts).toEqual([]);
  });

  it("kills a process that never ends and says so, once per attempt", () => {
    const r = runBounded(["-e", "console.log('started'); setInterval(() => {}, 1000)"], { label: "stuck", timeoutMs: 1_500, attempts: 2 });
    expect(r.status).toBeNull();
    expect(r.output).toContain("started");
    expect(r.timeouts).toHaveLength(2);
    expect(r.timeouts[0]).toMatch(/^stuck: attempt 1 of 2 killed after \d+ s without finishing \(bound 1\.5 s\)$/);
  });

  it("tries again only after a timeout, and the second attempt's result counts", () => {
    // The first attempt finds no marker, writes it and hangs; the second finds it and exits 0.
    const marker = join(dir, "hung-once");
    const script = `const fs = require("node:fs"); if (fs.existsSync(${JSON.stringify(marker)})) { fs.rmSync(${JSON.stringify(marker)}); process.exit(0); } fs.writeFileSync(${JSON.stringify(marker)}, ""); setInterval(() => {}, 1000);`;
    const r = runBounded(["-e", script], { label: "once stuck", timeoutMs: 1_500, attempts: 2 });
    expect(r.status).toBe(0);
    expect(r.timeouts).toHaveLength(1);
  });

  it("does not try again a process that failed in time", () => {
    const marker = join(dir, "attempts");
    const script = `const fs = require("node:fs"); fs.appendFileSync(${JSON.stringify(marker)}, "x"); process.exit(2);`;
    const r = runBounded(["-e", script], { label: "fails", timeoutMs: 30_000, attempts: 3 });
    expect(r.status).toBe(2);
    expect(readFileSync(marker, "utf8")).toBe("x");
  });
});
