// Once per run, before any test file: install the pinned Envoy (or check ENVOY_BIN), so a fresh
// machine's download is not charged to the restart test's hook timeout.
import { ensureEnvoy, versionOf } from "@xdskit/envoy-tool";

export function setup(): void {
  const bin = ensureEnvoy((line) => console.log(`[reliability] ${line}`));
  console.log(`[reliability] Envoy ${versionOf(bin)} at ${bin}`);
}
