/** The resource name a client uses to subscribe to every resource of a type. */
export const WILDCARD_RESOURCE_NAME = "*";

/**
 * The version {@link Subscription.returnedResources} holds for a subscribed
 * name the client was told does not exist (delta: it was in
 * `removed_resources`). Envoy keeps such a name the same way: subscribed,
 * waiting for the server, with an empty version. Caches put it in
 * `DeltaResponse.nextVersionMap` so the name is reported once per
 * subscription, not in every answer; a real version is never empty.
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
  /** The names subscribed explicitly, never including `"*"`. */
  resourceNames(): ReadonlySet<string>;
  /**
   * name → version of what the client holds, as far as the server knows:
   * the resources last sent (SotW) or acknowledged to exist (delta, seeded
   * from `initial_resource_versions` on reconnect). Delta: a subscribed name
   * the client was told does not exist maps to {@link ABSENT_RESOURCE_VERSION}.
   */
  returnedResources(): ReadonlyMap<string, string>;
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
   * Replace what the client holds, after a response was sent: SotW, the
   * resources sent; delta, the response's `nextVersionMap`. Marks the
   * subscription {@link Subscription.answered}.
   */
  setReturnedResources(versions: ReadonlyMap<string, string>): void;
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

class StreamSubscription implements MutableSubscription {
  #wildcard = false;
  #legacy: boolean;
  #names = new Set<string>();
  #returned: Map<string, string>;
  #answered = false;

  constructor(options: SubscriptionOptions) {
    const names = [...(options.resourceNames ?? [])];
    this.#legacy = names.length === 0 && (options.allowLegacyWildcard ?? true);
    if (this.#legacy) this.#wildcard = true;
    else this.#subscribe(names);
    const returned = options.returnedResources;
    this.#returned = returned === undefined ? new Map() : new Map(returned instanceof Map ? returned : Object.entries(returned));
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

  answered(): boolean {
    return this.#answered;
  }

  setResourceNames(names: Iterable<string>): void {
    const list = [...names];
    if (this.#legacy && list.length === 0) return;
    this.#legacy = false;
    this.#wildcard = false;
    this.#names = new Set();
    this.#subscribe(list);
  }

  updateResourceNames(subscribe: Iterable<string>, unsubscribe: Iterable<string>): void {
    const add = [...subscribe];
    const remove = [...unsubscribe];
    if (add.length === 0 && remove.length === 0) return;
    // Legacy wildcard turns into an explicit "*" that later requests can unsubscribe.
    this.#legacy = false;
    this.#subscribe(add);
    for (const name of remove) {
      if (name === WILDCARD_RESOURCE_NAME) this.#wildcard = false;
      else this.#names.delete(name);
    }
  }

  setReturnedResources(versions: ReadonlyMap<string, string>): void {
    this.#returned = new Map(versions);
    this.#answered = true;
  }

  updateReturnedResources(updated: Iterable<readonly [string, string]>, removed: Iterable<string> = []): void {
    for (const [name, version] of updated) this.#returned.set(name, version);
    for (const name of removed) this.#returned.delete(name);
  }

  #subscribe(names: Iterable<string>): void {
    for (const name of names) {
      if (name === WILDCARD_RESOURCE_NAME) this.#wildcard = true;
      else this.#names.add(name);
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

/** Whether a subscription covers a resource: wildcard, or named explicitly. */
export function isSubscribed(subscription: Subscription, name: string): boolean {
  return subscription.isWildcard() || subscription.resourceNames().has(name);
}
