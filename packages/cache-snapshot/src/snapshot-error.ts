/**
 * What went wrong, as a stable string:
 * - `duplicate-name`: a snapshot has two resources with one name in one type.
 * - `inconsistent`: {@link Snapshot.consistent} found references without a
 *   resource, or endpoints / route configurations nothing references.
 * - `invalid-snapshot`: a snapshot's versions or TTLs do not fit its
 *   resources (a type without a version, a TTL for a name that is not there),
 *   or a snapshot that `createSnapshot` did not make was given to a cache.
 * - `invalid-options`: a cache option is out of range.
 *
 * Problems with one resource or one request (a name that cannot be derived,
 * an unknown type URL, a missing node) are `CacheError`s from
 * `@xdskit/cache-core`, as servers expect.
 */
export type SnapshotErrorCode = "duplicate-name" | "inconsistent" | "invalid-snapshot" | "invalid-options";

/** What {@link Snapshot.consistent} found wrong with one type. */
export interface SnapshotInconsistency {
  /** The referenced type (EDS, RDS, or a custom type with references). */
  readonly typeUrl: string;
  /** Names something references that the snapshot does not hold, sorted. */
  readonly missing: readonly string[];
  /** Names the snapshot holds that nothing references (EDS and RDS only), sorted. */
  readonly extra: readonly string[];
}

/** Details attached to a {@link SnapshotError}. */
export interface SnapshotErrorDetails {
  /** The type URL involved, when there is exactly one. */
  readonly typeUrl?: string;
  /** Every resource name involved. */
  readonly resourceNames?: readonly string[];
  /** For `inconsistent`: every problem, per type. */
  readonly inconsistencies?: readonly SnapshotInconsistency[];
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/** The error base of `@xdskit/cache-snapshot`: snapshots and cache options that cannot be used. */
export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
  readonly code: SnapshotErrorCode;
  readonly typeUrl: string | undefined;
  readonly resourceNames: readonly string[];
  readonly inconsistencies: readonly SnapshotInconsistency[];

  constructor(code: SnapshotErrorCode, message: string, details: SnapshotErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.typeUrl = details.typeUrl;
    this.resourceNames = Object.freeze([...(details.resourceNames ?? [])]);
    this.inconsistencies = Object.freeze([...(details.inconsistencies ?? [])]);
  }
}
