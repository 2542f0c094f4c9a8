// Once per run: install the pinned etcd and Envoy (or check ETCD_BIN, ENVOY_BIN) before any test file starts one.
import { ensureEnvoy } from "@xdskit/envoy-tool";
import { ensureEtcd } from "@xdskit/etcd-tool";

export function setup(): void {
  ensureEtcd((line) => console.log(`[example-control-plane] ${line}`));
  ensureEnvoy((line) => console.log(`[example-control-plane] ${line}`));
}
