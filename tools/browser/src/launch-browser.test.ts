import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type Browser, launchBrowser } from "./launch-browser.js";

describe("launchBrowser", () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it("drives a real headless Chromium: loads a page from 127.0.0.1, runs its script, takes a screenshot", async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end('<!doctype html><title>t</title><p id="out">static</p><script>document.getElementById("out").textContent = "scripted";</script>');
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      browser = await launchBrowser();
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await page.textContent("#out")).toBe("scripted");
      const png = await page.screenshot();
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 120_000);
});
