import { CacheError, type CacheErrorDetails } from "@xdskit/cache-core";

/** Details of a {@link MuxCacheError}. */
export interface MuxCacheErrorDetails extends CacheErrorDetails {
  /** The request's type URL. */
  readonly typeUrl: string;
  /** What the classifier returned, when it returned a key no cache is registered under. */
  readonly cacheKey?: string | undefined;
}

/**
 * A request no cache of the mux claims: the classifier returned nothing or a
 * key with no cache and there is no fallback cache, or the classifier threw.
 * A cache-core `CacheError` with code `unknown-type` whose message names the
 * type URL (and the key), so a server can answer the stream with
 * INVALID_ARGUMENT naming the type.
 */
export class MuxCacheError extends CacheError {
  /** The class name, for logs. */
  override readonly name: string = "MuxCacheError";
  /** What the classifier returned (the type URL, by default); `undefined` when it claimed nothing or threw. */
  readonly cacheKey: string | undefined;

  constructor(message: string, details: MuxCacheErrorDetails) {
    super("unknown-type", message, details);
    this.cacheKey = details.cacheKey;
  }
}
