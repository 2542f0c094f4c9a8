// Once per run, before any test file: install the pinned etcd (or check ETCD_BIN), so a fresh
// machine's download is not charged to a test's hook timeout.
import { ensureEtcd, etcdVersionOf } from "@xdskit/etcd-tool";

export function setup(): void {
  const bin = ensureEtcd((line) => console.log(`[store-etcd] ${line}`));
  console.log(`[store-etcd] etcd ${etcdVersionOf(bin)} at ${bin}`);
}
