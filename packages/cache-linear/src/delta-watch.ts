import { ABSENT_RESOURCE_VERSION, type CachedResource, type DeltaResponse, type ResourceErrorReport, type Subscription } from "@xdskit/cache-core";
import type { DeltaDiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ResourceStore } from "./resource-store.js";
import type { IndexedWatch } from "./watches-by-name.js";
import { covers, type WatchKeys } from "./watch-keys.js";

/** One delta watch: a request of a registered subscription, answered at most once. */
export interface DeltaWatch {
  readonly request: DeltaDiscoveryRequest;
  readonly subscription: Subscription;
  readonly respond: (response: DeltaResponse) => void;
  open: boolean;
}

/**
 * A delta subscription as the cache indexes it, by the names it covers. It
 * stays registered from one watch of the subscription to the next while the
 * subscribed names do not change (a client that ACKs re-watches with the same
 * names), so neither the index nor a full diff is redone per response: an
 * update costs the names it changed, not the names each subscriber has.
 */
export interface DeltaRegistration extends IndexedWatch {
  readonly keys: WatchKeys;
  readonly exact: ReadonlySet<string>;
  /** `Subscription.namesRevision()` the keys were derived at. */
  readonly revision: number;
  /** The open watch; `undefined` between an answer (or a cancel) and the next watch. */
  watch: DeltaWatch | undefined;
  /**
   * Covered names that may differ from what the client holds: changed while
   * no watch was open, or sent in the last answer (which the server may have
   * dropped unsent). The next watch diffs these and nothing else.
   */
  readonly stale: Set<string>;
  /**
   * Names subscribed exactly, known not to exist, whose error was set since
   * the client was told: each is reported again (in `removed`, with the error) once.
   */
  readonly errorsDue: Set<string>;
  /** Counts watches attached, so that a cleanup scheduled by a cancel can tell a later watch took the registration up. */
  attached: number;
  /** In the index. */
  registered: boolean;
}

/**
 * What a delta client must be sent: resources whose hash differs from what it
 * holds, names it holds that are gone, and names it subscribed to by name that
 * do not exist and that it was not told of yet.
 */
export interface DeltaDiff {
  readonly resources: CachedResource[];
  readonly removed: string[];
  /** The names of `removed` the client never held: subscribed by name, and do not exist. */
  readonly absent: string[];
  /** The errors of names in `removed` (subscribed exactly) that the cache has one for. */
  readonly errors: ResourceErrorReport[];
}

/** The diff with nothing in it, shared: most re-watches and most watchers of an update find nothing. */
const NO_DIFF: DeltaDiff = Object.freeze({ resources: [], removed: [], absent: [], errors: [] }) as unknown as DeltaDiff;

/** Diffs one name the registration covers against what the client holds; `into` is made on the first difference. */
function diffName(
  store: ResourceStore,
  reg: DeltaRegistration,
  returned: ReadonlyMap<string, string>,
  name: string,
  into: DeltaDiff | undefined,
): DeltaDiff | undefined {
  const resource = store.get(name);
  if (resource !== undefined) {
    if (returned.get(name) === resource.hash) return into;
    const diff = into ?? { resources: [], removed: [], absent: [], errors: [] };
    diff.resources.push(resource);
    return diff;
  }
  const version = returned.get(name);
  const named = !reg.keys.wildcard && reg.exact.has(name);
  // Subscribed by name, does not exist, and the client was not told yet (or its error changed since);
  // or held, and gone.
  const errorDue = reg.errorsDue.delete(name);
  const report = version === undefined ? named : version !== ABSENT_RESOURCE_VERSION || (errorDue && named);
  if (!report) return into;
  const diff = into ?? { resources: [], removed: [], absent: [], errors: [] };
  diff.removed.push(name);
  if (version === undefined) diff.absent.push(name);
  const error = named ? store.error(name) : undefined;
  if (error !== undefined) diff.errors.push(error);
  return diff;
}

/**
 * The full diff of a new registration: every covered resource against what
 * the client holds, covered names it holds that no longer exist, and (unless
 * it is wildcard) names it subscribed to exactly that do not exist and it was
 * not told of. Names the client holds but no longer subscribes to are left
 * alone (the client drops them itself when it unsubscribes).
 */
export function deltaDiffAll(store: ResourceStore, reg: DeltaRegistration, subscription: Subscription): DeltaDiff {
  const returned = subscription.returnedResources();
  const diff: DeltaDiff = { resources: [], removed: [], absent: [], errors: [] };
  for (const resource of store.covered(reg.keys)) {
    if (returned.get(resource.name) !== resource.hash) diff.resources.push(resource);
  }
  const named = !reg.keys.wildcard;
  for (const [name, version] of returned) {
    if (version === ABSENT_RESOURCE_VERSION || store.has(name) || !covers(reg.keys, reg.exact, name)) continue;
    diff.removed.push(name);
    const error = named && reg.exact.has(name) ? store.error(name) : undefined;
    if (error !== undefined) diff.errors.push(error);
  }
  if (named) {
    for (const name of reg.keys.names) {
      if (store.has(name) || returned.has(name)) continue;
      diff.removed.push(name);
      diff.absent.push(name);
      const error = store.error(name);
      if (error !== undefined) diff.errors.push(error);
    }
  }
  return diff;
}

/**
 * The diff of `names` only (each covered by the registration): after an
 * update, the names it changed; for a new watch of a registration, its stale
 * names. Everything else the registration covers is known to be current.
 */
export function deltaDiffOf(store: ResourceStore, reg: DeltaRegistration, returned: ReadonlyMap<string, string>, names: Iterable<string>): DeltaDiff {
  let diff: DeltaDiff | undefined;
  for (const name of names) diff = diffName(store, reg, returned, name, diff);
  return diff ?? NO_DIFF;
}

export function isEmptyDiff(diff: DeltaDiff): boolean {
  return diff.resources.length === 0 && diff.removed.length === 0;
}

/** The response for a diff: only what changed (the server records it in the subscription after sending). */
export function deltaResponse(watch: DeltaWatch, diff: DeltaDiff, systemVersion: string): DeltaResponse {
  const response: DeltaResponse = {
    request: watch.request,
    typeUrl: watch.request.typeUrl,
    systemVersion,
    resources: diff.resources,
    removed: diff.removed,
    absent: diff.absent,
  };
  return diff.errors.length === 0 ? response : { ...response, errors: diff.errors };
}
