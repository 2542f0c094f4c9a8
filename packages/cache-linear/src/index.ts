export { createLinearCache, type LinearCache, type LinearCacheOptions, type ResourceInput } from "./linear-cache.js";
export { LinearCacheError, type LinearCacheErrorDetails } from "./linear-cache-error.js";
