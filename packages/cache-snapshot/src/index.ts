export type { StatusInfo } from "./node-status.js";
export {
  createSnapshot,
  type Snapshot,
  type SnapshotOptions,
  type SnapshotResource,
  type SnapshotResources,
  type SnapshotVersion,
} from "./snapshot.js";
export {
  createSnapshotCache,
  followSnapshotCache,
  type FollowSnapshotCacheOptions,
  type SnapshotCache,
  type SnapshotCacheFollower,
  type SnapshotCacheOptions,
} from "./snapshot-cache.js";
export type {
  SnapshotCacheChange,
  SnapshotCacheState,
  SnapshotData,
  SnapshotResourceData,
  SnapshotTypeData,
} from "./snapshot-cache-feed.js";
export { SnapshotError, type SnapshotErrorDetails } from "./snapshot-error.js";
