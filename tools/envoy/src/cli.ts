#!/usr/bin/env node
// `./scripts/pnpm.sh --filter @xdskit/envoy-tool install-envoy`: installs the pinned Envoy and prints its path.
import { ensureEnvoy, versionOf } from "./install-envoy.js";

const [cmd] = process.argv.slice(2);
if (cmd !== "install") {
  console.error("usage: xdskit-envoy install");
  process.exit(2);
}
const bin = ensureEnvoy((l) => console.error(l));
console.log(`${bin} (envoy ${versionOf(bin)})`);
