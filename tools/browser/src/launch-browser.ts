import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";

const installScript = fileURLToPath(new URL("../install-chromium.sh", import.meta.url));

/** The flags every launch uses: headless, no sandbox (root in containers), and no traffic of Chromium's own. */
export const CHROMIUM_FLAGS: readonly string[] = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]);

export class BrowserToolError extends Error {
  override readonly name = "BrowserToolError";
}

/**
 * The Chromium to drive: `CHROMIUM_BIN`, else Debian's `/usr/bin/chromium`,
 * installed with apt (install-chromium.sh) when missing.
 */
export function ensureChromium(log: (line: string) => void = () => {}): string {
  try {
    const out = execFileSync("bash", [installScript], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const bin = out.trim().split("\n").pop() ?? "";
    log(`chromium at ${bin}`);
    return bin;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new BrowserToolError(`no Chromium to drive: ${stderr.trim()}`);
  }
}

export interface Browser {
  /** A browser context with a fresh profile: make pages with `context.newPage()`. */
  readonly context: BrowserContext;
  /** Closes Chromium and removes its profile directory. Idempotent. */
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh `--user-data-dir` and {@link CHROMIUM_FLAGS}. */
export async function launchBrowser(options: { readonly timeoutMs?: number } = {}): Promise<Browser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), "xdskit-chromium-"));
  let context: BrowserContext;
  try {
    // A persistent context is how Playwright takes a user data directory of ours.
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      timeout: options.timeoutMs ?? 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new BrowserToolError(`Chromium ${executablePath} did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    close() {
      closed ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true }));
      return closed;
    },
  };
}
