import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import {
  type Cache,
  type CachedResource,
  type ChangeFeed,
  type ChangeFollower,
  type Logger,
  type ResourceErrorDetail,
  type ResourceErrorReport,
  type ResourceTypeRegistry,
  silentLogger,
  typeUrlOf,
} from "@xdskit/cache-core";
import { type ResolvedValidationPolicy, resolveValidationPolicy, type ValidationPolicy } from "@xdskit/validate/policy";
import { LinearCacheError } from "./linear-cache-error.js";
import type { LinearCacheChange, LinearCacheState } from "./linear-cache-feed.js";

// What a caller of createLinearCache sees: the cache's interface, its options and their defaults.

/**
 * A resource handed to the cache: a {@link @xdskit/cache-core#CachedResource} (from
 * `prepareResource`), or a message of the cache's schema, which the cache
 * prepares (name derived, marshalled and hashed once).
 */
export type ResourceInput = CachedResource | Message;

/** Options of {@link createLinearCache}. Give `typeUrl`, `schema`, or both. */
export interface LinearCacheOptions {
  /** The one type URL the cache serves. Default: the type URL of `schema`. */
  readonly typeUrl?: string | undefined;
  /**
   * The message schema, needed only to accept plain messages (rather than
   * `CachedResource`s) in updates. Default: none.
   */
  readonly schema?: DescMessage | undefined;
  /** Prepended to the counter to make `version_info` strings: `${versionPrefix}${n}`. Default: `""`. */
  readonly versionPrefix?: string | undefined;
  /** Resources the cache starts with, at version `${versionPrefix}0`. Default: none. */
  readonly initialResources?: Iterable<ResourceInput> | undefined;
  /** Where custom types' `nameOf` is found when preparing messages. Default: the built-in types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Canonicalizes `Any` contents when marshalling messages. Default: none. */
  readonly registry?: Registry | undefined;
  /**
   * Where the cache says, once per node and set of names, which names a node
   * subscribes to that it does not hold (for endpoints: the clusters that
   * wait on them), at info; plus debug lines per update. See the README for
   * the exact messages. Default: silent.
   */
  readonly logger?: Logger | undefined;
  /**
   * Validates every resource before it is served (`@xdskit/validate`): a
   * `Validator` refuses an update holding an invalid resource (the update
   * throws a `ValidationError` listing every violation of every resource and
   * changes nothing); `{ validator, mode: "warn" }` logs the violations and
   * applies the update. Default: none.
   */
  readonly validate?: ValidationPolicy | undefined;
}

/** Options of {@link followLinearCache}. */
export interface FollowLinearCacheOptions {
  /** As {@link LinearCacheOptions.logger}. Default: silent. */
  readonly logger?: Logger | undefined;
}

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

/** {@link LinearCacheOptions} with their defaults applied. */
export interface ResolvedLinearCacheOptions {
  readonly typeUrl: string;
  readonly versionPrefix: string;
  readonly logger: Logger;
  readonly validation: ResolvedValidationPolicy | undefined;
}

/** @throws {LinearCacheError} `unknown-type` when neither `typeUrl` nor `schema` is given. */
export function resolveLinearCacheOptions(options: LinearCacheOptions): ResolvedLinearCacheOptions {
  const typeUrl = options.typeUrl ?? (options.schema === undefined ? undefined : typeUrlOf(options.schema));
  if (typeUrl === undefined || typeUrl === "") {
    throw new LinearCacheError("unknown-type", "a linear cache needs a type URL: pass typeUrl or schema", { servedTypeUrl: "", field: "typeUrl" });
  }
  return {
    typeUrl,
    versionPrefix: options.versionPrefix ?? "",
    logger: options.logger ?? silentLogger,
    validation: resolveValidationPolicy(options.validate),
  };
}
