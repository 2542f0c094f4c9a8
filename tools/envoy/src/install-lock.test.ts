// Several packages' tests start at once (turbo), and each may install Envoy on a fresh machine:
// installers must take turns, or one clears the venv another is writing.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { withInstallLock } from "./install-lock.js";

const lockModule = fileURLToPath(new URL("./install-lock.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("..", import.meta.url));

// A process that holds the lock for a while, writing when it starts and ends.
function contender(dir: string, name: string): Promise<number | null> {
  const script = join(dir, `${name}.mts`);
  writeFileSync(
    script,
    `import { appendFileSync } from "node:fs";
import { withInstallLock } from ${JSON.stringify(lockModule)};
withInstallLock(${JSON.stringify(join(dir, "venv.lock"))}, () => {
  appendFileSync(${JSON.stringify(join(dir, "log"))}, "start ${name}\\n");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
  appendFileSync(${JSON.stringify(join(dir, "log"))}, "end ${name}\\n");
});
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: packageDir, stdio: "inherit" });
  return new Promise((resolve) => child.once("exit", resolve));
}

describe("withInstallLock", () => {
  it("lets concurrent installers run one after the other", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xdskit-install-lock-"));
    const codes = await Promise.all(["a", "b", "c"].map((name) => contender(dir, name)));
    expect(codes).toEqual([0, 0, 0]);
    const lines = readFileSync(join(dir, "log"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(6);
    for (let i = 0; i < lines.length; i += 2) {
      const name = lines[i]?.split(" ")[1];
      expect([lines[i], lines[i + 1]]).toEqual([`start ${name}`, `end ${name}`]);
    }
    expect(existsSync(join(dir, "venv.lock")), "the lock is released").toBe(false);
  }, 30_000);

  it("releases the lock when the installer throws, and takes over a stale one", () => {
    const dir = mkdtempSync(join(tmpdir(), "xdskit-install-lock-"));
    const lock = join(dir, "venv.lock");
    expect(() =>
      withInstallLock(lock, () => {
        throw new Error("pip failed");
      }),
    ).toThrow("pip failed");
    expect(existsSync(lock)).toBe(false);
    mkdirSync(lock);
    const old = new Date(Date.now() - 60 * 60_000);
    utimesSync(lock, old, old);
    expect(withInstallLock(lock, () => "installed", 5_000)).toBe("installed");
  });

  it("gives up after the timeout while another process holds the lock", () => {
    const dir = mkdtempSync(join(tmpdir(), "xdskit-install-lock-"));
    const lock = join(dir, "venv.lock");
    mkdirSync(lock);
    expect(() => withInstallLock(lock, () => "never", 300)).toThrow(/timed out after 300 ms waiting for .*venv\.lock/);
  });
});
