import { isXdstpGlob, xdstpCollectionOf } from "@xdskit/cache-core";

/**
 * Glob subscriptions, in two forms, each reduced to a key that subscriptions
 * and resources share so that matching is a map lookup:
 * - federation (`xdstp://`) names follow xRFC TP1: `xdstp://auth/T/team/*?k=v`
 *   covers the resources one segment under `team/` with exactly the context
 *   parameters `k=v`. Its key is the canonical glob name itself, and a
 *   resource's only key is the collection it belongs to.
 * - any other name ending in `/*`, such as `team-a/*`, covers every resource
 *   whose name starts with the part before the `*` (`team-a/`), at any
 *   depth. Its key is that prefix, and a resource's keys are all its `/`-prefixes.
 * The bare `*` is the wildcard and never a glob. Names are canonical (see
 * `normalizeResourceName`): subscriptions and prepared resources are.
 */
const GLOB_SUFFIX = "/*";
const XDSTP_PREFIX = "xdstp://";

/** The key of a glob subscription, or `undefined` when `name` is not a glob. */
export function globKeyOf(name: string): string | undefined {
  if (name.startsWith(XDSTP_PREFIX)) return isXdstpGlob(name) ? name : undefined;
  return name.endsWith(GLOB_SUFFIX) ? name.slice(0, -1) : undefined;
}

/**
 * The keys of every glob subscription that covers resource `name`: its
 * federation collection, or every prefix ending in `/`, shortest first. Cost
 * is the length of the name, not the number of subscriptions.
 */
export function collectionKeys(name: string): string[] {
  if (name.startsWith(XDSTP_PREFIX)) {
    const collection = xdstpCollectionOf(name);
    return collection === undefined ? [] : [collection];
  }
  const prefixes: string[] = [];
  for (let i = name.indexOf("/"); i !== -1 && i < name.length - 1; i = name.indexOf("/", i + 1)) {
    prefixes.push(name.slice(0, i + 1));
  }
  return prefixes;
}
