/**
 * What went wrong, as a stable string servers can map to a gRPC status. One
 * list for every xdskit cache, so a server needs one mapping:
 * - `unknown-type`: a request or resource names a type URL nobody registered or serves.
 * - `resource-name`: a resource's name cannot be derived (no name field, or it is empty).
 * - `type-mismatch`: a message does not match the schema or type URL it was given with.
 * - `invalid-resource`: a resource's content or options are unusable (bytes that do not decode, a bad TTL).
 * - `missing-node`: a request carries no node, or a node without an id, where one is needed.
 * - `duplicate-name`: a set of resources has two with one name in one type.
 * - `inconsistent`: references without a resource, or resources nothing references (see `findInconsistencies`).
 * - `invalid-snapshot`: a snapshot's versions or TTLs do not fit its resources, or it was not made by its package.
 * - `invalid-options`: an option of a cache is missing or out of range.
 */
export type CacheErrorCode =
  | "unknown-type"
  | "resource-name"
  | "type-mismatch"
  | "invalid-resource"
  | "missing-node"
  | "duplicate-name"
  | "inconsistent"
  | "invalid-snapshot"
  | "invalid-options";

/** Details attached to a {@link CacheError}; each names what was wrong. */
export interface CacheErrorDetails {
  /** The type URL involved, when there is one. */
  readonly typeUrl?: string | undefined;
  /** The resource name involved, when known. */
  readonly resourceName?: string | undefined;
  /** The option or field involved, when one is to blame (for example `heartbeatIntervalMs` or `type_url`). */
  readonly field?: string | undefined;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * The one error base of the xdskit caches: `@xdskit/cache-core` throws it,
 * and every cache's own error (`SnapshotError`, `LinearCacheError`,
 * `MuxCacheError`) extends it, so `instanceof CacheError` and `code` cover
 * them all.
 */
export class CacheError extends Error {
  /** The class name, for logs and `instanceof`-free checks; subclasses set their own. */
  override readonly name: string = "CacheError";
  /** What went wrong, as a stable string (see {@link CacheErrorCode}). */
  readonly code: CacheErrorCode;
  /** The type URL involved, when there is one. */
  readonly typeUrl: string | undefined;
  /** The resource involved, when there is one. */
  readonly resourceName: string | undefined;
  /** The field path at fault, when the error is about one field. */
  readonly field: string | undefined;

  constructor(code: CacheErrorCode, message: string, details: CacheErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.typeUrl = details.typeUrl;
    this.resourceName = details.resourceName;
    this.field = details.field;
  }
}
