import { ABSENT_RESOURCE_VERSION, type CachedResource, isXdstpGlob, type ResourceErrorReport, type SotwResponse, type Subscription } from "@xdskit/cache-core";
import type { SotwWatch } from "./node-status.js";
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
 * on the next response. An `xdstp://` glob name covers its collection
 * (`xdstpCollectionOf`) and is never missing, as a collection may be empty.
 * A subscription to no name at all (a client that
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
    return changed || namesSomethingNew(names, subscription.returnedResources(), resources, NO_ERRORS) ? resources.list : undefined;
  }

  if (names.size === 0) return undefined;
  if (!changed && !namesSomethingNew(names, subscription.returnedResources(), resources, resources.errors)) return undefined;
  let found = 0;
  let globs = false;
  for (const name of names) {
    if (resources.byName.has(name)) found++;
    // A glob collection is never missing: it may be empty.
    else if (isXdstpGlob(name)) globs = true;
    // A name with an error is answered (by its error), so ADS does not wait for it.
    else if (ads && !resources.errors.has(name)) return undefined;
  }
  // Named every resource of the type (as Envoy does for EDS with a consistent
  // snapshot): share the snapshot's list instead of building a copy per watch.
  if (!globs && found === resources.list.length) return resources.list;
  const picked: CachedResource[] = [];
  for (const name of names) {
    const resource = resources.byName.get(name);
    if (resource !== undefined) picked.push(resource);
  }
  if (globs) {
    for (const name of names) {
      if (!isXdstpGlob(name)) continue;
      // A member also named exactly was picked above.
      for (const member of resources.collection(name)) if (!names.has(member.name)) picked.push(member);
    }
  }
  return picked;
}

// A name is new to the client when it exists and was not sent, or has an error it was not told
// (the server records a name told of an error as ABSENT_RESOURCE_VERSION; wildcard
// subscriptions get no errors, so they pass none), or is a glob collection with a member not sent.
function namesSomethingNew(
  names: ReadonlySet<string>,
  returned: ReadonlyMap<string, string>,
  resources: TypeResources,
  errors: ReadonlyMap<string, ResourceErrorReport>,
): boolean {
  const held = resources.byName;
  for (const name of names) {
    const version = returned.get(name);
    if (version === undefined ? held.has(name) || errors.has(name) : version === ABSENT_RESOURCE_VERSION && held.has(name)) return true;
    if (isXdstpGlob(name)) for (const member of resources.collection(name)) if (!returned.has(member.name)) return true;
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
  const names = subscription.resourceNames();
  for (const name of names) {
    const resource = resources.byName.get(name);
    if (resource?.ttlMs !== undefined) picked.push(resource);
    else if (resource === undefined && isXdstpGlob(name)) {
      for (const member of resources.collection(name)) if (member.ttlMs !== undefined && !names.has(member.name)) picked.push(member);
    }
  }
  return picked.length > 0 ? picked : undefined;
}

/** The response to a SotW watch: `picked` at the type's version, with the errors of its names (none in a heartbeat). */
export function sotwResponse(watch: SotwWatch, resources: TypeResources, picked: readonly CachedResource[], heartbeat: boolean): SotwResponse {
  const response: SotwResponse = { request: watch.request, typeUrl: watch.typeUrl, version: resources.version, resources: picked, heartbeat };
  const errors = heartbeat ? undefined : resources.errorsFor(watch.subscription.resourceNames(), watch.subscription.isWildcard());
  return errors === undefined ? response : { ...response, errors };
}

/**
 * Whether every SotW watch gets the same answer from `next` as from `previous`:
 * {@link answerSotw} looks only at the type's version and which names exist.
 */
export function sameSotwAnswers(previous: TypeResources | undefined, next: TypeResources): boolean {
  if (previous === undefined) return false;
  if (previous === next) return true;
  if (previous.version !== next.version || previous.byName.size !== next.byName.size) return false;
  for (const name of next.byName.keys()) if (!previous.byName.has(name)) return false;
  return true;
}

/** What a fetch of `names` gets (once each, in the order named; an `xdstp://` glob: its collection). */
export function fetchPicked(resources: TypeResources, names: readonly string[]): CachedResource[] {
  const seen = new Set<string>();
  const picked: CachedResource[] = [];
  for (const name of names) {
    const resource = resources.byName.get(name);
    for (const one of resource !== undefined ? [resource] : isXdstpGlob(name) ? resources.collection(name) : []) {
      if (seen.has(one.name)) continue;
      seen.add(one.name);
      picked.push(one);
    }
  }
  return picked;
}
