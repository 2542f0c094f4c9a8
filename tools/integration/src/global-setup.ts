// Once per run, before any test file: install the pinned Envoy (or check ENVOY_BIN), Debian's
// chromium, and build the Go CSDS client, so a fresh machine's downloads are not charged to a
// test's hook timeout.
import { ensureChromium } from "@xdskit/browser-tool";
import { ensureEnvoy, versionOf } from "@xdskit/envoy-tool";
import { buildCsdsClient } from "./support/csds-go-client.js";

export function setup(): void {
  const bin = ensureEnvoy((line) => console.log(`[integration] ${line}`));
  console.log(`[integration] Envoy ${versionOf(bin)} at ${bin}`);
  // The admin page's browser test and the third-party CSDS client (Go) are ready before any file starts.
  ensureChromium((line) => console.log(`[integration] ${line}`));
  console.log(`[integration] CSDS client at ${buildCsdsClient()}`);
}
