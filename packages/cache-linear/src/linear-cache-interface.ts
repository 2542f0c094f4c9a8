import type {
  Cache,
  CachedResource,
  ChangeFeed,
  ChangeFollower,
  ResourceErrorDetail,
  ResourceErrorReport,
} from "@xdskit/cache-core";
import type { LinearCacheChange, LinearCacheState } from "./linear-cache-feed.js";
import type { ResourceInput } from "./linear-cache-options.js";

/**
 * An eventually consistent cache of one resource type, shared by every node:
 * one linear version history (a counter), per-resource versions (content
 * hashes) for delta, SotW and delta watches, and fetch. Meant for high-churn
 * types such as EDS, behind a mux beside a snapshot cache.
 *
 * Updates are synchronous: watches they answer are called back before the
 * update returns. An update whose resources all have the same content (and
 * TTL) as the cached ones changes nothing: no new version, no callback.
 *
 * Names may be `xdstp://` federation names: they are matched in their
 * canonical spelling (`normalizeResourceName`), and a subscribed
 * `xdstp://…/*` glob covers its collection (xRFC TP1, see `xdstpCollectionOf`);
 * any other subscribed name ending in `/*` covers every name under that prefix.
 */
export interface LinearCache extends Cache, ChangeFeed<LinearCacheState, LinearCacheChange> {
  /** The type URL served. */
  readonly typeUrl: string;
  /** The current `version_info`: `${versionPrefix}${counter}`. */
  version(): string;
  /** Adds or replaces one resource. Returns whether anything changed (and so a new version). */
  updateResource(resource: ResourceInput): boolean;
  /** Removes one resource; a name that does not exist is ignored. Returns whether anything changed. */
  deleteResource(name: string): boolean;
  /**
   * Upserts and deletes as one version step. Deletes apply first, so a name
   * in both ends up upserted; duplicate upserts: the last wins. Every input is
   * prepared before the cache changes, so a bad one leaves the cache as it was.
   */
  updateResources(upserts: Iterable<ResourceInput>, deletes?: Iterable<string>): boolean;
  /** Replaces every resource, as one version step that carries only what changed. */
  setResources(resources: Iterable<ResourceInput>): boolean;
  /**
   * Says why `name` is not served (xRFC TP3 `resource_errors`), or with
   * `undefined` takes that back: for a name that does not exist (NOT_FOUND),
   * or whose new version failed validation (INVALID_ARGUMENT), fed for
   * example from `@xdskit/validate` results. Subscriptions that name it get
   * the error: SotW in the next answer (the name is left out of the
   * resources, as before), delta with the name in `removed_resources` (as
   * before) and the error beside it. A name that has a resource is served
   * and its error is kept but not sent (a response never names a resource
   * both ways): keep the last good version to keep serving it. Updating the
   * resource clears its error. Returns whether clients see a change (and so
   * a new version): setting the same error again, or an error for a name
   * with a resource, does not.
   *
   * @throws {LinearCacheError} `invalid-resource` for a code that is not a
   *   `google.rpc.Code` from 1 to 16, naming the resource and field.
   */
  setResourceError(name: string, error: ResourceErrorDetail | undefined): boolean;
  /** A copy of name → error, every error set (also those of names that have a resource). */
  getResourceErrors(): Map<string, ResourceErrorReport>;
  /** One resource, or `undefined`. */
  getResource(name: string): CachedResource | undefined;
  /** A copy of name → resource. */
  getResources(): Map<string, CachedResource>;
  /** How many resources the cache holds. */
  resourceCount(): number;
  /** Open (pending) SotW watches. */
  sotwWatchCount(): number;
  /** Open (pending) delta watches. */
  deltaWatchCount(): number;
  /** Open watches (SotW and delta) that would be told about `name`: exact, glob and wildcard ones. */
  watchCountFor(name: string): number;
}

/**
 * A linear cache that follows another one's change feed (see
 * {@link followLinearCache}): it serves what the leading cache serves, and
 * changes only through {@link @xdskit/cache-core#ChangeFollower.applyChange}.
 */
export interface LinearCacheFollower extends LinearCache, ChangeFollower<LinearCacheChange> {}
