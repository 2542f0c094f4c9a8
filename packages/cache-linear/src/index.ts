export {
  createLinearCache,
  followLinearCache,
  type FollowLinearCacheOptions,
  type LinearCache,
  type LinearCacheFollower,
  type LinearCacheOptions,
  type ResourceInput,
} from "./linear-cache.js";
export type {
  LinearCacheChange,
  LinearCacheResourceData,
  LinearCacheState,
  LinearCacheStateError,
  LinearCacheStateResource,
} from "./linear-cache-feed.js";
export { LinearCacheError, type LinearCacheErrorDetails } from "./linear-cache-error.js";
