export { type Classify, createMuxCache, type MuxCache, type MuxCacheOptions } from "./mux-cache.js";
export { MuxCacheError, type MuxCacheErrorDetails } from "./mux-cache-error.js";
