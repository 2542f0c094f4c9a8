// Once per run, before any test file: install the pinned Envoy (or check ENVOY_BIN), so a fresh
// machine's download is not charged to a test's hook timeout.
import { ensureEnvoy, versionOf } from "@xdskit/envoy-tool";

export function setup(): void {
  const bin = ensureEnvoy((line) => console.log(`[integration] ${line}`));
  console.log(`[integration] Envoy ${versionOf(bin)} at ${bin}`);
}
