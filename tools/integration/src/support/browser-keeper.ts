// A real headless Chromium per test file. Screenshots go to tools/integration/.browser-artifacts/<name>:
// removed when the file passed (unless XDSKIT_KEEP_SCREENSHOTS=1), kept (and named in the output)
// when anything failed.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, launchBrowser } from "@xdskit/browser-tool";
import type { Page } from "playwright-core";
import { afterAll, beforeEach } from "vitest";

export const ARTIFACT_ROOT = fileURLToPath(new URL("../../.browser-artifacts/", import.meta.url));

export interface BrowserKeeper {
  /** A new page in a fresh browser (launched on first use). */
  page(): Promise<Page>;
  /** Saves a screenshot of `page` as `<label>.png`; returns its path. */
  screenshot(page: Page, label: string): Promise<string>;
}

export function browserForSuite(name: string): BrowserKeeper {
  const dir = join(ARTIFACT_ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  let browser: Browser | undefined;
  let failed = false;
  const pages: Page[] = [];
  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(async () => {
      failed = true;
      for (const [i, page] of pages.entries()) {
        if (page.isClosed()) continue;
        const file = join(dir, `failed-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}-${i}.png`);
        mkdirSync(dir, { recursive: true });
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        console.error(`[${name}] screenshot of the failing page kept at ${file}`);
      }
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (!failed && process.env["XDSKIT_KEEP_SCREENSHOTS"] !== "1") rmSync(dir, { recursive: true, force: true });
    else console.error(`[${name}] screenshots kept in ${dir}`);
  });
  return {
    async page() {
      browser ??= await launchBrowser();
      const page = await browser.context.newPage();
      pages.push(page);
      return page;
    },
    async screenshot(page, label) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}
