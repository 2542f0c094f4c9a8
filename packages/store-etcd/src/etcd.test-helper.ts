import { startEtcd, type EtcdCluster, type EtcdClusterOptions } from "@xdskit/etcd-tool";
import type { Etcd3 } from "etcd3";
import { createEtcdClient } from "./index.js";

export interface TestEtcd {
  readonly etcd: EtcdCluster;
  /** A client straight to etcd. */
  readonly client: Etcd3;
  /** A fresh key prefix per call, so tests sharing one etcd do not see each other. */
  prefix(): string;
  stop(): Promise<void>;
}

let n = 0;

/** A real single-node etcd for one test file, and a client to it. */
export async function startTestEtcd(options: Omit<EtcdClusterOptions, "size"> = {}): Promise<TestEtcd> {
  const etcd = await startEtcd({ name: "store-etcd", ...options });
  const client = createEtcdClient({ endpoints: etcd.endpoints });
  return {
    etcd,
    client,
    prefix: () => `/test-${process.pid}-${++n}/`,
    async stop() {
      client.close();
      await etcd.stop();
    },
  };
}
