import { CacheError, type CacheErrorCode } from "@xdskit/cache-core";

/** Details of a {@link LinearCacheError}. */
export interface LinearCacheErrorDetails {
  /** The type URL the cache serves. */
  readonly servedTypeUrl: string;
  /** The type URL that was asked for or given, when it differs. */
  readonly typeUrl?: string;
  /** The resource involved, when known. */
  readonly resourceName?: string;
  readonly cause?: unknown;
}

/**
 * What a linear cache throws. A `CacheError`, so servers map it like any
 * other: `unknown-type` for a request of a type URL the cache does not serve
 * (the message names both URLs), `type-mismatch` for a resource of another
 * type, `invalid-resource` for a message given to a cache created without a
 * schema.
 */
export class LinearCacheError extends CacheError {
  /** The type URL this cache serves. */
  readonly servedTypeUrl: string;

  constructor(code: CacheErrorCode, message: string, details: LinearCacheErrorDetails) {
    super(code, message, details);
    this.servedTypeUrl = details.servedTypeUrl;
  }
}
