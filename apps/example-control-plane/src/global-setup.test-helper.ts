// Once per run: install the pinned etcd (or check ETCD_BIN) before any test file starts one.
import { ensureEtcd } from "@xdskit/etcd-tool";

export function setup(): void {
  ensureEtcd((line) => console.log(`[example-control-plane] ${line}`));
}
