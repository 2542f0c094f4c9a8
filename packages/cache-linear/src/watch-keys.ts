import type { Subscription } from "@xdskit/cache-core";
import { collectionKeys, globKeyOf } from "./resource-glob.js";

/**
 * What a watch covers, fixed when the watch is created: servers replace a
 * watch (cancel, then create) whenever a request changes the subscription.
 */
export interface WatchKeys {
  readonly wildcard: boolean;
  /** Names subscribed exactly. */
  readonly names: readonly string[];
  /** Keys of glob subscriptions (`a/*` → `a/`; an `xdstp://` glob is its own key, see `globKeyOf`). */
  readonly prefixes: ReadonlySet<string>;
}

const NO_PREFIXES: ReadonlySet<string> = new Set();

/** Splits a subscription into exact names and glob prefixes. */
export function watchKeysOf(subscription: Subscription): WatchKeys {
  return keysOfNames(subscription.isWildcard(), subscription.resourceNames());
}

/** The same, from a list of names where `*` means wildcard (fetch requests). */
export function keysOfNames(wildcard: boolean, names: Iterable<string>): WatchKeys {
  const exact: string[] = [];
  const prefixes = new Set<string>();
  let all = wildcard;
  for (const name of names) {
    if (name === "*") {
      all = true;
      continue;
    }
    const key = globKeyOf(name);
    if (key === undefined) exact.push(name);
    else prefixes.add(key);
  }
  return { wildcard: all, names: exact, prefixes: prefixes.size === 0 ? NO_PREFIXES : prefixes };
}

/** Whether a watch with these keys covers resource `name`. */
export function covers(keys: WatchKeys, exact: ReadonlySet<string>, name: string): boolean {
  if (keys.wildcard || exact.has(name)) return true;
  if (keys.prefixes.size === 0) return false;
  for (const prefix of collectionKeys(name)) if (keys.prefixes.has(prefix)) return true;
  return false;
}
