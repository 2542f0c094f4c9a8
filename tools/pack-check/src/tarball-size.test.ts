import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatBytes, tarballSize } from "./tarball-size.js";

describe("tarballSize", () => {
  it("sums the regular files of a .tgz without extracting it", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-check-tgz-"));
    try {
      mkdirSync(join(dir, "package/dist"), { recursive: true });
      writeFileSync(join(dir, "package/package.json"), "x".repeat(100));
      writeFileSync(join(dir, "package/dist/index.js"), "y".repeat(1000));
      execFileSync("tar", ["czf", join(dir, "p.tgz"), "-C", dir, "package"]);
      const s = tarballSize(join(dir, "p.tgz"));
      expect(s.files).toBe(2);
      expect(s.unpacked).toBe(1100);
      expect(s.packed).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("formats sizes for humans", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2.0 kB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.00 MB");
  });
});
