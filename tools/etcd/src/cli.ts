#!/usr/bin/env node
// `./scripts/pnpm.sh --filter @xdskit/etcd-tool install-etcd`: installs the pinned etcd and prints its path.
// `node tools/etcd/dist/cli.js with-etcd -- <command…>`: runs a command with a throwaway single-node etcd
// at ETCD_ENDPOINTS (the README examples that need one run this way), and stops it afterwards.
import { spawn } from "node:child_process";
import { startEtcd } from "./etcd-cluster.js";
import { ensureEtcd, etcdVersionOf } from "./install-etcd.js";

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "install") {
  const bin = ensureEtcd((l) => console.error(l));
  console.log(`${bin} (etcd ${etcdVersionOf(bin)})`);
} else if (cmd === "with-etcd" && rest.length > 0) {
  const command = rest[0] === "--" ? rest.slice(1) : rest;
  const [file, ...args] = command;
  if (file === undefined) throw new Error("with-etcd: no command given");
  ensureEtcd((l) => console.error(l));
  const etcd = await startEtcd({ name: "with-etcd" });
  const endpoints = etcd.endpoints.join(",");
  console.error(`[etcd] ${endpoints}`);
  const child = spawn(file, args, { stdio: "inherit", env: { ...process.env, ETCD_ENDPOINTS: endpoints } });
  const code = await new Promise<number>((resolve) => child.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  await etcd.stop();
  process.exit(code);
} else {
  console.error("usage: xdskit-etcd install | with-etcd -- <command…>");
  process.exit(2);
}
