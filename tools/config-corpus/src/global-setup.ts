// Installs the pinned Envoy (or checks ENVOY_BIN) once, before the tests, so its download is not
// charged to a test's timeout.
import { ensureEnvoy, versionOf } from "@xdskit/envoy-tool";

export function setup(): void {
  const bin = ensureEnvoy((line) => console.log(`[config-corpus] ${line}`));
  console.log(`[config-corpus] Envoy ${versionOf(bin)} at ${bin}`);
}
