import type { CachedResource } from "./cached-resource.js";
import { isSharedNameSet, sharedNamesOf } from "./shared-name-sets.js";
import { normalizeResourceName, xdstpCollectionOf } from "./xdstp-name.js";

/** The resource name a client uses to subscribe to every resource of a type. */
export const WILDCARD_RESOURCE_NAME = "*";

/**
 * The version {@link Subscription.returnedResources} holds for a subscribed
 * name the client was told does not exist (delta: it was in
 * `removed_resources`). Envoy keeps such a name the same way: subscribed,
 * waiting for the server, with an empty version. Servers record it so
 * (`recordDeltaResponse`) so the name is reported once per subscription,
 * not in every answer; a real version is never empty.
 */
export const ABSENT_RESOURCE_VERSION = "";

/**
 * What one stream wants of one type URL, and what it was last sent. Servers
 * own and update it (see {@link MutableSubscription}); caches only read it to
 * decide what to answer.
 *
 * Wildcard comes in two forms. Legacy: the first request of the stream names
 * no resources (and later requests keep naming none). Explicit: the client
 * subscribes to `"*"`, alongside any names. A wildcard subscriber gets every
 * resource of the type, plus any names it asked for explicitly.
 */
export interface Subscription {
  /** Whether the client wants every resource of the type (legacy or explicit wildcard). */
  isWildcard(): boolean;
  /** Whether the wildcard is the legacy, implicit one (no names on the first request). */
  isLegacyWildcard(): boolean;
  /**
   * The names subscribed explicitly, never including `"*"`; `xdstp:` names
   * in their canonical spelling (see `normalizeResourceName`), as caches
   * store them, so a request may spell them either way.
   */
  resourceNames(): ReadonlySet<string>;
  /**
   * name → version of what the client holds, as far as the server knows:
   * the resources last sent (SotW) or acknowledged to exist (delta, seeded
   * from `initial_resource_versions` on reconnect). Delta: a subscribed name
   * the client was told does not exist maps to {@link ABSENT_RESOURCE_VERSION}.
   * Read it, never keep it: it may be shared with other subscriptions, and
   * is replaced (not changed) when the subscription records a response.
   */
  returnedResources(): ReadonlyMap<string, string>;
  /**
   * A number that changes whenever the subscribed names or the wildcard
   * change, and only then (not when returned resources do). Caches use it to
   * keep what they derived from the names (watch keys, name indexes) across
   * the watches of one subscription instead of deriving it again on every
   * request.
   */
  namesRevision(): number;
  /**
   * Whether a response of this subscription was sent on its stream (the
   * server recorded one with `setReturnedResources`). Caches answer a
   * wildcard subscription that was never answered even when there is
   * nothing to send, so the client learns that its initial state is empty,
   * and never send an empty answer afterwards.
   */
  answered(): boolean;
}

/** The {@link Subscription} servers keep per stream and type, with the updates they apply. */
export interface MutableSubscription extends Subscription {
  /**
   * SotW: replace the subscription with the names of a new request. An empty
   * list keeps a legacy wildcard that is still in effect; otherwise it
   * unsubscribes from everything. Any non-empty list ends legacy wildcard
   * (`"*"` in it makes the wildcard explicit).
   */
  setResourceNames(names: Iterable<string>): void;
  /**
   * Delta: apply `resource_names_subscribe` / `resource_names_unsubscribe`.
   * A legacy wildcard becomes explicit on the first change and stays until
   * `"*"` is unsubscribed.
   */
  updateResourceNames(subscribe: Iterable<string>, unsubscribe: Iterable<string>): void;
  /**
   * Replace what the client holds, after a SotW response was sent: the
   * resources sent, name → hash. Marks the subscription
   * {@link Subscription.answered}. The subscription keeps `versions` as it
   * is, without a copy (streams sent the same resource list can share one
   * map): do not change it afterwards.
   */
  setReturnedResources(versions: ReadonlyMap<string, string>): void;
  /**
   * Record a delta response as sent: the client now holds each of
   * `resources` at its hash, and of each `removed` name nothing, which is
   * remembered as {@link ABSENT_RESOURCE_VERSION} when the subscription names
   * it explicitly (the client was told it does not exist, so it is not told
   * again) and forgotten otherwise. Marks the subscription
   * {@link Subscription.answered}. Costs the size of the response, not of
   * what the client holds.
   */
  recordDeltaResponse(resources: readonly CachedResource[], removed: readonly string[]): void;
  /**
   * Record resources sent (name, version) and forget names (`removed`), such
   * as the names a delta request subscribes or unsubscribes. Does not mark
   * the subscription answered.
   */
  updateReturnedResources(updated: Iterable<readonly [string, string]>, removed?: Iterable<string>): void;
}

/** Options of {@link createSubscription}. */
export interface SubscriptionOptions {
  /**
   * The names of the stream's first request: `resource_names` (SotW) or
   * `resource_names_subscribe` (delta). Default: none, a legacy wildcard when allowed.
   */
  readonly resourceNames?: Iterable<string> | undefined;
  /**
   * What the client already holds, such as a delta request's
   * `initial_resource_versions`. Default: nothing.
   */
  readonly returnedResources?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined;
  /**
   * Whether an empty first request means "everything" (legacy wildcard).
   * Servers pass `false` for types that are not wildcard-capable, such as
   * endpoints and routes, where an empty list means nothing. Default: `true`.
   */
  readonly allowLegacyWildcard?: boolean | undefined;
}

const NO_VERSIONS: ReadonlyMap<string, string> = new Map();

// Sorted without repeats, as Envoy sends names: proves there are no duplicates without a Set.
function isStrictlyIncreasing(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (!((list[i - 1] as string) < (list[i] as string))) return false;
  return true;
}

class StreamSubscription implements MutableSubscription {
  #wildcard = false;
  #legacy: boolean;
  // Shared with other subscriptions of the same names once set from a whole list (see
  // sharedNamesOf): never changed in place while #namesShared; a delta update copies it first.
  #names: Set<string> = new Set<string>();
  #namesShared = false;
  #revision = 0;
  #returned: ReadonlyMap<string, string>;
  // Whether #returned is this subscription's own map, which it may change in
  // place; a map given to setReturnedResources is shared and copied on first change.
  #ownsReturned = false;
  #answered = false;

  constructor(options: SubscriptionOptions) {
    const names = [...(options.resourceNames ?? [])];
    this.#legacy = names.length === 0 && (options.allowLegacyWildcard ?? true);
    if (this.#legacy) this.#wildcard = true;
    else this.#setNames(names);
    const returned = options.returnedResources;
    if (returned === undefined) {
      this.#returned = NO_VERSIONS;
    } else {
      const seeded = new Map<string, string>();
      for (const [name, version] of returned instanceof Map ? returned : Object.entries(returned)) {
        seeded.set(normalizeResourceName(name), version);
      }
      this.#returned = seeded;
      this.#ownsReturned = true;
    }
  }

  isWildcard(): boolean {
    return this.#wildcard;
  }

  isLegacyWildcard(): boolean {
    return this.#legacy;
  }

  resourceNames(): ReadonlySet<string> {
    return this.#names;
  }

  returnedResources(): ReadonlyMap<string, string> {
    return this.#returned;
  }

  namesRevision(): number {
    return this.#revision;
  }

  answered(): boolean {
    return this.#answered;
  }

  setResourceNames(names: Iterable<string>): void {
    const list = Array.isArray(names) ? (names as readonly string[]) : [...names];
    if (this.#legacy && list.length === 0) return;
    // A SotW ACK repeats the names it holds: nothing changes, nothing is rebuilt.
    if (!this.#legacy && this.#sameNames(list)) return;
    this.#legacy = false;
    this.#wildcard = false;
    this.#setNames(list);
    this.#revision++;
  }

  updateResourceNames(subscribe: Iterable<string>, unsubscribe: Iterable<string>): void {
    const add = [...subscribe];
    const remove = [...unsubscribe];
    if (add.length === 0 && remove.length === 0) return;
    // Legacy wildcard turns into an explicit "*" that later requests can unsubscribe.
    this.#legacy = false;
    if (this.#namesShared) {
      this.#names = new Set(this.#names);
      this.#namesShared = false;
    }
    this.#subscribe(add);
    for (const name of remove) {
      if (name === WILDCARD_RESOURCE_NAME) this.#wildcard = false;
      else this.#names.delete(normalizeResourceName(name));
    }
    this.#revision++;
  }

  setReturnedResources(versions: ReadonlyMap<string, string>): void {
    this.#returned = versions;
    this.#ownsReturned = false;
    this.#answered = true;
  }

  recordDeltaResponse(resources: readonly CachedResource[], removed: readonly string[]): void {
    const returned = this.#ownReturned();
    for (const resource of resources) returned.set(resource.name, resource.hash);
    for (const name of removed) {
      if (this.#names.has(name)) returned.set(name, ABSENT_RESOURCE_VERSION);
      else returned.delete(name);
    }
    this.#answered = true;
  }

  updateReturnedResources(updated: Iterable<readonly [string, string]>, removed: Iterable<string> = []): void {
    const returned = this.#ownReturned();
    for (const [name, version] of updated) returned.set(normalizeResourceName(name), version);
    for (const name of removed) returned.delete(normalizeResourceName(name));
  }

  #ownReturned(): Map<string, string> {
    if (!this.#ownsReturned) {
      this.#returned = new Map(this.#returned);
      this.#ownsReturned = true;
    }
    return this.#returned as Map<string, string>;
  }

  // Whether `list` (a SotW request's names) subscribes to exactly what is subscribed now.
  #sameNames(list: readonly string[]): boolean {
    // Looked up one by one, not compared in order with the Set's members, which costs less but
    // keeps more: V8 turns a string it looks up into a reference to an equal internalized string
    // when there is one, so the ACK a watch keeps holds no copy of its names (compared in order,
    // idle-1000 kept 110 more strings, 3.5 KB, per client).
    let wildcard = false;
    let count = 0;
    const names = this.#names;
    for (const name of list) {
      if (name === WILDCARD_RESOURCE_NAME) wildcard = true;
      else if (names.has(normalizeResourceName(name))) count++;
      else return false;
    }
    if (wildcard !== this.#wildcard || count !== names.size) return false;
    // Every name of the list is subscribed and there are as many: equal unless the list repeats one.
    return isStrictlyIncreasing(list) || new Set(list).size === list.length;
  }

  // The names of a whole list (the wildcard aside), in the Set other subscriptions of the same
  // list share (see sharedNamesOf).
  #setNames(list: readonly string[]): void {
    this.#names = sharedNamesOf(list, () => {
      this.#names = new Set();
      this.#subscribe(list);
      return this.#names;
    }) as Set<string>;
    this.#namesShared = isSharedNameSet(this.#names);
  }

  #subscribe(names: Iterable<string>): void {
    for (const name of names) {
      if (name === WILDCARD_RESOURCE_NAME) this.#wildcard = true;
      else this.#names.add(normalizeResourceName(name));
    }
  }
}

/**
 * A new subscription for a stream's first request of a type. Works for both
 * protocols: use `setResourceNames` on SotW streams and `updateResourceNames`
 * on delta streams.
 */
export function createSubscription(options: SubscriptionOptions = {}): MutableSubscription {
  return new StreamSubscription(options);
}

/**
 * Whether a subscription covers a resource: wildcard, named explicitly, or a
 * member of a subscribed `xdstp://` glob collection (`xdstpCollectionOf`).
 * `name` is a resource name (canonical, as caches hold them).
 */
export function isSubscribed(subscription: Subscription, name: string): boolean {
  if (subscription.isWildcard()) return true;
  const names = subscription.resourceNames();
  if (names.has(name)) return true;
  const collection = xdstpCollectionOf(name);
  return collection !== undefined && names.has(collection);
}
