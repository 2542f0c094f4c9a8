import { ABSENT_RESOURCE_VERSION, type ResourceErrorReport, type SotwResponse, type Subscription } from "@xdskit/cache-core";
import type { DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ResourceStore } from "./resource-store.js";
import type { IndexedWatch } from "./watches-by-name.js";
import { covers, type WatchKeys } from "./watch-keys.js";

/** An open State-of-the-World watch. */
export interface SotwWatch extends IndexedWatch {
  readonly request: DiscoveryRequest;
  readonly subscription: Subscription;
  readonly keys: WatchKeys;
  readonly exact: ReadonlySet<string>;
  /** The counter value of the client's `version_info`; `undefined` when it is not one of ours. */
  readonly clientVersion: number | undefined;
  readonly respond: (response: SotwResponse) => void;
  open: boolean;
}

/**
 * The counter in a `version_info` of this cache (`<prefix><n>`), or
 * `undefined` for an empty version, another prefix, or a counter from the
 * future (a cache restarted with the same prefix): such clients get the
 * current state.
 */
export function parseVersion(versionInfo: string, prefix: string, counter: number): number | undefined {
  if (!versionInfo.startsWith(prefix)) return undefined;
  const digits = versionInfo.slice(prefix.length);
  if (!/^\d{1,15}$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= counter ? n : undefined;
}

/**
 * Whether a client at `version` needs an answer on account of `name`: it
 * changed after that version, it exists but the client was not sent it (a
 * new subscription), the client holds it and it is gone, or (for a name
 * subscribed exactly) it does not exist and has an error the client was not
 * told (the server records a name told of an error as
 * `ABSENT_RESOURCE_VERSION`) or that was set after that version.
 */
function nameIsStale(store: ResourceStore, watch: SotwWatch, returned: ReadonlyMap<string, string>, version: number, name: string): boolean {
  const held = returned.get(name);
  if (store.has(name)) return store.changedAt(name) > version || held === undefined || held === ABSENT_RESOURCE_VERSION;
  if (held !== undefined && held !== ABSENT_RESOURCE_VERSION) return true;
  if (watch.keys.wildcard || !watch.exact.has(name) || store.error(name) === undefined) return false;
  return held === undefined || store.errorSetAt(name) > version;
}

/**
 * Whether a new watch must be answered now. Wildcard: the client's version is
 * not the current one, or it holds fewer resources than exist (it just turned
 * wildcard). Named: any covered name is stale (see {@link nameIsStale}). A
 * subscription to no name at all (a client that unsubscribed from
 * everything) is never answered: there is nothing it could be sent.
 */
export function sotwNeedsAnswer(store: ResourceStore, watch: SotwWatch): boolean {
  const { keys } = watch;
  if (!keys.wildcard && keys.names.length === 0 && keys.prefixes.size === 0) return false;
  const version = watch.clientVersion;
  if (version === undefined) return true;
  const returned = watch.subscription.returnedResources();
  if (watch.keys.wildcard) return version !== store.counter || returned.size < store.size;
  for (const name of watch.keys.names) if (nameIsStale(store, watch, returned, version, name)) return true;
  for (const prefix of watch.keys.prefixes) {
    for (const name of store.namesUnder(prefix)) if (nameIsStale(store, watch, returned, version, name)) return true;
  }
  for (const [name, held] of returned) {
    if (held !== ABSENT_RESOURCE_VERSION && !store.has(name) && covers(watch.keys, watch.exact, name)) return true;
  }
  return false;
}

/** Whether an update that changed `changed` (names the watch covers) makes a pending watch answerable. */
export function sotwAnswerableAfter(store: ResourceStore, watch: SotwWatch, changed: readonly string[]): boolean {
  const version = watch.clientVersion ?? -1;
  const returned = watch.subscription.returnedResources();
  for (const name of changed) if (nameIsStale(store, watch, returned, version, name)) return true;
  return false;
}

/** The full state the watch covers, at the current version, with the errors of names it subscribes to exactly that do not exist. */
export function sotwResponse(store: ResourceStore, watch: SotwWatch, version: string): SotwResponse {
  const response: SotwResponse = {
    request: watch.request,
    typeUrl: watch.request.typeUrl,
    version,
    resources: store.covered(watch.keys),
    heartbeat: false,
  };
  const errors = watch.keys.wildcard ? [] : errorsOf(store, watch.exact);
  return errors.length === 0 ? response : { ...response, errors };
}

/** The errors of the names in `exact` without a resource; costs the number of errors. */
export function errorsOf(store: ResourceStore, exact: ReadonlySet<string>): ResourceErrorReport[] {
  const out: ResourceErrorReport[] = [];
  for (const [name, report] of store.errors()) if (exact.has(name) && !store.has(name)) out.push(report);
  return out;
}
