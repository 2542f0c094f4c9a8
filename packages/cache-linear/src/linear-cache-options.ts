import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import type { CachedResource, Logger, ResourceTypeRegistry } from "@xdskit/cache-core";
import type { ValidationPolicy } from "@xdskit/validate/policy";

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
