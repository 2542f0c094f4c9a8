import { CacheError, type CacheErrorCode, type CacheErrorDetails } from "@xdskit/cache-core";

/** Details of a {@link LinearCacheError}. */
export interface LinearCacheErrorDetails extends CacheErrorDetails {
  /** The type URL the cache serves. */
  readonly servedTypeUrl: string;
}

/**
 * What a linear cache throws. A cache-core `CacheError`, so servers map it
 * like any other: `unknown-type` for a request of a type URL the cache does
 * not serve (the message names both URLs, `field` is `type_url`) or a cache
 * created without one, `type-mismatch` for a resource of another type,
 * `invalid-resource` for a message given to a cache created without a schema,
 * or an error (`setResourceError`) whose code is not a `google.rpc.Code` from 1 to 16.
 */
export class LinearCacheError extends CacheError {
  /** The class name, for logs. */
  override readonly name: string = "LinearCacheError";
  /** The type URL this cache serves. */
  readonly servedTypeUrl: string;

  constructor(code: CacheErrorCode, message: string, details: LinearCacheErrorDetails) {
    super(code, message, details);
    this.servedTypeUrl = details.servedTypeUrl;
  }
}

/** A request of another type URL than the one the cache serves. */
export function wrongTypeError(typeUrl: string, servedTypeUrl: string): LinearCacheError {
  return new LinearCacheError("unknown-type", `this linear cache serves "${servedTypeUrl}", not "${typeUrl}" (field "type_url")`, {
    typeUrl,
    servedTypeUrl,
    field: "type_url",
  });
}

/** An update method called on a follower, which changes only through `applyChange`. */
export function notLeadingError(method: string, typeUrl: string): LinearCacheError {
  return new LinearCacheError(
    "invalid-options",
    `${method} was called on a follower of the linear cache of "${typeUrl}": a follower changes only through applyChange`,
    { typeUrl, servedTypeUrl: typeUrl, field: method },
  );
}

/** A followed change whose counter is not the next one: a change was lost or applied twice. */
export function outOfOrderError(typeUrl: string, given: number, expected: number): LinearCacheError {
  return new LinearCacheError(
    "invalid-options",
    `the linear cache of "${typeUrl}" follows a feed at counter ${expected}, but was given a change at ${given}: a change was lost or applied twice (field "counter")`,
    { typeUrl, servedTypeUrl: typeUrl, field: "counter" },
  );
}
