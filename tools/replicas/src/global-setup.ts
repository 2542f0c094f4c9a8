// Once per run: install the pinned etcd and Envoy, so no test hook pays for a download.
import { ensureEnvoy } from "@xdskit/envoy-tool";
import { ensureEtcd } from "@xdskit/etcd-tool";

export function setup(): void {
  ensureEtcd((line) => console.log(`[replicas] ${line}`));
  ensureEnvoy((line) => console.log(`[replicas] ${line}`));
}
