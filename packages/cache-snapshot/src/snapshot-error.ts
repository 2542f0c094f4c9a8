import { CacheError, type CacheErrorCode, type CacheErrorDetails, type Inconsistency } from "@xdskit/cache-core";

/** Details attached to a {@link SnapshotError}. */
export interface SnapshotErrorDetails extends CacheErrorDetails {
  /** Every resource name involved. */
  readonly resourceNames?: readonly string[] | undefined;
  /** For `inconsistent`: every problem, per type. */
  readonly inconsistencies?: readonly Inconsistency[] | undefined;
}

/**
 * The error base of `@xdskit/cache-snapshot`, a cache-core `CacheError`:
 * - `duplicate-name`: a snapshot has two resources with one name in one type.
 * - `inconsistent`: {@link Snapshot.consistent} found references without a
 *   resource, or endpoints / route configurations nothing references.
 * - `invalid-snapshot`: a snapshot's versions or TTLs do not fit its
 *   resources (a type without a version, a TTL for a name that is not there),
 *   or a snapshot that `createSnapshot` did not make was given to a cache.
 * - `invalid-options`: a cache option is out of range (`field` names it).
 * - `unknown-type`, `resource-name`, `type-mismatch`, `invalid-resource`:
 *   a resource or request the cache cannot use, naming its type and position.
 *
 * Errors of cache-core and of a custom `nodeHash` (such as `missing-node`)
 * pass through as the `CacheError`s they are.
 */
export class SnapshotError extends CacheError {
  /** The class name, for logs. */
  override readonly name: string = "SnapshotError";
  /** Every resource name involved (empty when none is). */
  readonly resourceNames: readonly string[];
  /** For `inconsistent`: every problem, per type, in ADS order. */
  readonly inconsistencies: readonly Inconsistency[];

  constructor(code: CacheErrorCode, message: string, details: SnapshotErrorDetails = {}) {
    const names = details.resourceNames ?? (details.resourceName === undefined ? [] : [details.resourceName]);
    super(code, message, names.length === 1 && details.resourceName === undefined ? { ...details, resourceName: names[0] } : details);
    this.resourceNames = Object.freeze([...names]);
    this.inconsistencies = Object.freeze([...(details.inconsistencies ?? [])]);
  }
}
