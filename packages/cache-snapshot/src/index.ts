export type { StatusInfo } from "./node-status.js";
export {
  createSnapshot,
  type Snapshot,
  type SnapshotOptions,
  type SnapshotResource,
  type SnapshotResources,
  type SnapshotVersion,
} from "./snapshot.js";
export { createSnapshotCache, type SnapshotCache, type SnapshotCacheOptions } from "./snapshot-cache.js";
export { SnapshotError, type SnapshotErrorDetails } from "./snapshot-error.js";
