export { createEtcdClient, type EtcdClientOptions } from "./etcd-client.js";
export type { EtcdMirror, EtcdMirrorOptions, MirrorStatus, MirrorUpdate } from "./etcd-mirror.js";
export { EtcdStoreError, type EtcdStoreErrorCode, type EtcdStoreErrorDetails } from "./etcd-store-error.js";
export {
  createEtcdWriter,
  type EtcdWriter,
  type EtcdWriterOptions,
  type GroupResource,
  type StoredResources,
  type WriteResult,
} from "./etcd-writer.js";
export {
  DEFAULT_KEY_PREFIX,
  groupKeyPrefix,
  parseResourceKey,
  resourceKey,
  typeKeyPrefix,
  type ResourceKey,
} from "./key-layout.js";
export { createLinearMirror, type LinearMirrorOptions } from "./linear-mirror.js";
export type { LoadReason, PrefixWatchState } from "./prefix-watch.js";
export { ETCD_DEFAULT_MAX_REQUEST_BYTES, ETCD_DEFAULT_MAX_TXN_OPS } from "./request-size.js";
export {
  decodeResourceValue,
  type ResourceCodecOptions,
  type ResourceInput,
} from "./resource-value.js";
export { createSnapshotMirror, type SnapshotMirror, type SnapshotMirrorOptions } from "./snapshot-mirror.js";
