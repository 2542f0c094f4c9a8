import { ABSENT_RESOURCE_VERSION, type CachedResource, type ResourceErrorReport, type Subscription } from "@xdskit/cache-core";
import type { TypeResources } from "./type-resources.js";

/**
 * The resources a State-of-the-World watch gets from one type of a snapshot,
 * or `undefined` when it should stay open.
 *
 * A watch is answered when the client's version differs from the type's, or
 * when it names a resource it was not sent yet that now exists (a new
 * subscription at an unchanged version, also next to a wildcard). Wildcard subscribers get every
 * resource (the full state Envoy requires for clusters and listeners);
 * others get the names they subscribed to that exist, in the order they
 * named them (in snapshot order when they named every one). In ADS mode a named
 * subscription is held until every name exists, so the client gets the
 * whole update at once instead of a partial one it would have to patch up
 * on the next response. A subscription to no name at all (a client that
 * unsubscribed from everything) is never answered: there is nothing it could
 * be sent, and an empty response on every change is noise.
 */
export function answerSotw(
  versionInfo: string,
  subscription: Subscription,
  resources: TypeResources,
  ads: boolean,
): readonly CachedResource[] | undefined {
  const changed = versionInfo !== resources.version;
  const names = subscription.resourceNames();
  if (subscription.isWildcard()) {
    // A name newly named next to "*" (the server forgot it was sent) is re-sent: the full state.
    return changed || namesSomethingNew(names, subscription.returnedResources(), resources.byName, NO_ERRORS) ? resources.list : undefined;
  }

  if (names.size === 0) return undefined;
  if (!changed && !namesSomethingNew(names, subscription.returnedResources(), resources.byName, resources.errors)) return undefined;
  let found = 0;
  for (const name of names) {
    if (resources.byName.has(name)) found++;
    // A name with an error is answered (by its error), so ADS does not wait for it.
    else if (ads && !resources.errors.has(name)) return undefined;
  }
  // Named every resource of the type (as Envoy does for EDS with a consistent
  // snapshot): share the snapshot's list instead of building a copy per watch.
  if (found === resources.list.length) return resources.list;
  const picked: CachedResource[] = [];
  for (const name of names) {
    const resource = resources.byName.get(name);
    if (resource !== undefined) picked.push(resource);
  }
  return picked;
}

// A name is new to the client when it exists and was not sent, or has an error it was not told
// (the server records a name told of an error as ABSENT_RESOURCE_VERSION; wildcard
// subscriptions get no errors, so they pass none).
function namesSomethingNew(
  names: ReadonlySet<string>,
  returned: ReadonlyMap<string, string>,
  held: ReadonlyMap<string, CachedResource>,
  errors: ReadonlyMap<string, ResourceErrorReport>,
): boolean {
  for (const name of names) {
    const version = returned.get(name);
    if (version === undefined ? held.has(name) || errors.has(name) : version === ABSENT_RESOURCE_VERSION && held.has(name)) return true;
  }
  return false;
}

const NO_ERRORS: ReadonlyMap<string, ResourceErrorReport> = new Map();

/**
 * The resources a heartbeat refreshes for a watch: those with a TTL that the
 * watch subscribes to. Only watches whose client is at the type's current
 * version get heartbeats: a heartbeat carries that version, and a client that
 * is behind (an ADS watch held for missing names) must not be told it is current.
 */
export function answerHeartbeat(
  versionInfo: string,
  subscription: Subscription,
  resources: TypeResources,
): readonly CachedResource[] | undefined {
  if (resources.withTtl.length === 0 || versionInfo !== resources.version) return undefined;
  if (subscription.isWildcard()) return resources.withTtl;
  const picked: CachedResource[] = [];
  for (const name of subscription.resourceNames()) {
    const resource = resources.byName.get(name);
    if (resource?.ttlMs !== undefined) picked.push(resource);
  }
  return picked.length > 0 ? picked : undefined;
}
