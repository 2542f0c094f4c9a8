/**
 * What went wrong, as a stable string servers can map to a gRPC status:
 * - `unknown-type`: a request or resource names a type URL nobody registered.
 * - `resource-name`: a resource's name cannot be derived (no name field, or it is empty).
 * - `type-mismatch`: a message does not match the schema or type URL it was given with.
 * - `invalid-resource`: a resource's content or options are unusable (bytes that do not decode, a bad TTL).
 * - `missing-node`: a request carries no node, or a node without an id, where one is needed.
 */
export type CacheErrorCode = "unknown-type" | "resource-name" | "type-mismatch" | "invalid-resource" | "missing-node";

/** Details attached to a {@link CacheError}; each names what was wrong. */
export interface CacheErrorDetails {
  /** The type URL involved, when there is one. */
  readonly typeUrl?: string;
  /** The resource name involved, when known. */
  readonly resourceName?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** The one error type of `@xdskit/cache-core`; caches built on it throw it too. */
export class CacheError extends Error {
  override readonly name = "CacheError";
  readonly code: CacheErrorCode;
  readonly typeUrl: string | undefined;
  readonly resourceName: string | undefined;

  constructor(code: CacheErrorCode, message: string, details: CacheErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.typeUrl = details.typeUrl;
    this.resourceName = details.resourceName;
  }
}
