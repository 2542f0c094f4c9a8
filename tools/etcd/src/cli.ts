#!/usr/bin/env node
// `./scripts/pnpm.sh --filter @xdskit/etcd-tool install-etcd`: installs the pinned etcd and prints its path.
import { ensureEtcd, etcdVersionOf } from "./install-etcd.js";

const [cmd] = process.argv.slice(2);
if (cmd !== "install") {
  console.error("usage: xdskit-etcd install");
  process.exit(2);
}
const bin = ensureEtcd((l) => console.error(l));
console.log(`${bin} (etcd ${etcdVersionOf(bin)})`);
