import { ABSENT_RESOURCE_VERSION, type CachedResource, type DeltaResponse, type Subscription } from "@xdskit/cache-core";
import type { DeltaDiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ResourceStore } from "./resource-store.js";
import type { IndexedWatch } from "./watches-by-name.js";
import { covers, type WatchKeys } from "./watch-keys.js";

/** An open delta watch. */
export interface DeltaWatch extends IndexedWatch {
  readonly request: DeltaDiscoveryRequest;
  readonly subscription: Subscription;
  readonly keys: WatchKeys;
  readonly exact: ReadonlySet<string>;
  readonly respond: (response: DeltaResponse) => void;
  open: boolean;
}

/**
 * What a delta client must be sent: resources whose hash differs from what it
 * holds, names it holds that are gone, and names it subscribed to by name that
 * do not exist and that it was not told of yet.
 */
export interface DeltaDiff {
  readonly resources: CachedResource[];
  readonly removed: string[];
}

/** Whether a name of `returned` is one the client holds (not one it was told does not exist). */
function holds(returned: ReadonlyMap<string, string>, name: string): boolean {
  const version = returned.get(name);
  return version !== undefined && version !== ABSENT_RESOURCE_VERSION;
}

function diffName(store: ResourceStore, returned: ReadonlyMap<string, string>, name: string, into: DeltaDiff): void {
  const resource = store.get(name);
  if (resource !== undefined) {
    if (returned.get(name) !== resource.hash) into.resources.push(resource);
  } else if (holds(returned, name)) {
    into.removed.push(name);
  }
}

/**
 * The full diff of a new watch: every covered resource against what the
 * client holds, covered names it holds that no longer exist, and (unless the
 * watch is wildcard) names it subscribed to exactly that do not exist and it
 * was not told of. Names the client holds but no longer subscribes to are
 * left alone (the client drops them itself when it unsubscribes).
 */
export function deltaDiffAll(store: ResourceStore, watch: DeltaWatch): DeltaDiff {
  const returned = watch.subscription.returnedResources();
  const diff: DeltaDiff = { resources: [], removed: [] };
  for (const resource of store.covered(watch.keys)) {
    if (returned.get(resource.name) !== resource.hash) diff.resources.push(resource);
  }
  for (const name of returned.keys()) {
    if (!store.has(name) && holds(returned, name) && covers(watch.keys, watch.exact, name)) diff.removed.push(name);
  }
  if (!watch.keys.wildcard) {
    for (const name of watch.keys.names) if (!store.has(name) && !returned.has(name)) diff.removed.push(name);
  }
  return diff;
}

/**
 * The diff of a pending watch after an update. A watch is only kept pending
 * when its client is current, so only the names this update changed can differ.
 */
export function deltaDiffOf(store: ResourceStore, watch: DeltaWatch, changed: readonly string[]): DeltaDiff {
  const returned = watch.subscription.returnedResources();
  const diff: DeltaDiff = { resources: [], removed: [] };
  for (const name of changed) diffName(store, returned, name, diff);
  return diff;
}

export function isEmptyDiff(diff: DeltaDiff): boolean {
  return diff.resources.length === 0 && diff.removed.length === 0;
}

/**
 * The response for a diff; `nextVersionMap` is what the client holds once it
 * applies it, with `ABSENT_RESOURCE_VERSION` for names subscribed exactly that
 * it was told do not exist (so they are not reported again). A wildcard client
 * then holds exactly every resource, so all wildcard responses of a version
 * share the store's map instead of copying what each client held.
 */
export function deltaResponse(store: ResourceStore, watch: DeltaWatch, diff: DeltaDiff, systemVersion: string): DeltaResponse {
  let next: ReadonlyMap<string, string>;
  if (watch.keys.wildcard) {
    next = store.versionMap();
  } else {
    const copy = new Map(watch.subscription.returnedResources());
    for (const resource of diff.resources) copy.set(resource.name, resource.hash);
    for (const name of diff.removed) {
      if (watch.exact.has(name)) copy.set(name, ABSENT_RESOURCE_VERSION);
      else copy.delete(name);
    }
    next = copy;
  }
  return {
    request: watch.request,
    typeUrl: watch.request.typeUrl,
    systemVersion,
    resources: diff.resources,
    removed: diff.removed,
    nextVersionMap: next,
  };
}
