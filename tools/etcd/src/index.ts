export { ensureEtcd, EtcdInstallError, etcdVersion, etcdVersionOf } from "./install-etcd.js";
export { etcdPortRange, pickEtcdPorts } from "./etcd-ports.js";
export {
  EtcdProcessError,
  startEtcd,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterOptions,
  type EtcdMember,
} from "./etcd-cluster.js";
export { startCuttableProxy, type CuttableProxy } from "./cuttable-proxy.js";
