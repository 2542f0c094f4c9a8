import type { CachedResource, Subscription } from "@xdskit/cache-core";
import type { TypeResources } from "./type-resources.js";

/** What a delta watch is answered with: the fields of a `DeltaResponse` the cache decides. */
export interface DeltaAnswer {
  readonly resources: readonly CachedResource[];
  readonly removed: readonly string[];
  readonly nextVersionMap: ReadonlyMap<string, string>;
}

/**
 * The delta answer for a watch from one type of a snapshot, or `undefined`
 * when nothing changed for it. Per-resource versions are the resources'
 * stable hashes. A wildcard subscriber gets every resource whose version
 * differs from what it holds and loses what left the snapshot; a named
 * subscriber gets changes to its names and loses names that are gone. The
 * first request of a wildcard stream (no nonce yet) is answered even when
 * there is nothing to send, so the client knows its initial state is empty.
 */
export function answerDelta(responseNonce: string, subscription: Subscription, resources: TypeResources): DeltaAnswer | undefined {
  const returned = subscription.returnedResources();
  const changed: CachedResource[] = [];
  const removed: string[] = [];
  let next: ReadonlyMap<string, string>;

  if (subscription.isWildcard()) {
    // Explicit names of a wildcard subscriber are a subset of everything.
    next = resources.versionMap();
    for (const resource of resources.list) {
      if (returned.get(resource.name) !== resource.hash) changed.push(resource);
    }
    for (const name of returned.keys()) {
      if (!resources.byName.has(name)) removed.push(name);
    }
  } else {
    const versions = new Map<string, string>();
    for (const name of subscription.resourceNames()) {
      const resource = resources.byName.get(name);
      if (resource !== undefined) {
        versions.set(name, resource.hash);
        if (returned.get(name) !== resource.hash) changed.push(resource);
      } else if (returned.has(name)) {
        removed.push(name);
      }
    }
    next = versions;
  }

  if (changed.length === 0 && removed.length === 0 && !(subscription.isWildcard() && responseNonce === "")) return undefined;
  return { resources: changed, removed, nextVersionMap: next };
}
