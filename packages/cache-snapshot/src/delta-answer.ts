import {
  ABSENT_RESOURCE_VERSION,
  type CachedResource,
  type DeltaResponse,
  isXdstpGlob,
  type ResourceErrorReport,
  type Subscription,
  xdstpCollectionOf,
} from "@xdskit/cache-core";
import type { DeltaWatch } from "./node-status.js";
import type { TypeResources } from "./type-resources.js";

/** What a delta watch is answered with: the fields of a `DeltaResponse` the cache decides. */
export interface DeltaAnswer {
  readonly resources: readonly CachedResource[];
  readonly removed: readonly string[];
  readonly absent: readonly string[];
  /** The errors of the names in `removed` the snapshot has one for; only when there are any. */
  readonly errors?: readonly ResourceErrorReport[];
}

/**
 * The delta answer for a watch from one type of a snapshot, or `undefined`
 * when nothing changed for it. Per-resource versions are the resources'
 * stable hashes. A wildcard subscriber gets every resource whose version
 * differs from what it holds and loses what it held that left the snapshot.
 * A named subscriber gets changes to its names, and `removed` lists its
 * names that do not exist, once: the server then records such a name as
 * `ABSENT_RESOURCE_VERSION` until it exists again. A subscribed `xdstp://`
 * glob covers its collection (`xdstpCollectionOf`): members are sent as they
 * change and removed as they leave; a glob whose collection is empty when
 * subscribed is reported in `removed` once, as an absent name is. A wildcard subscription
 * that was never answered is answered even when there is nothing to send,
 * so the client knows its initial state is empty.
 */
export function answerDelta(subscription: Subscription, resources: TypeResources): DeltaAnswer | undefined {
  const returned = subscription.returnedResources();
  const changed: CachedResource[] = [];
  const removed: string[] = [];
  const absent: string[] = [];
  const errors: ResourceErrorReport[] = [];

  if (subscription.isWildcard()) {
    // Explicit names of a wildcard subscriber are a subset of everything.
    for (const resource of resources.list) {
      if (returned.get(resource.name) !== resource.hash) changed.push(resource);
    }
    for (const [name, version] of returned) {
      if (version !== ABSENT_RESOURCE_VERSION && !resources.byName.has(name)) removed.push(name);
    }
  } else {
    const names = subscription.resourceNames();
    let globs = false;
    for (const name of names) {
      if (isXdstpGlob(name)) {
        globs = true;
        const members = resources.collection(name);
        // Members also named exactly are answered for their own name.
        for (const member of members) {
          if (!names.has(member.name) && returned.get(member.name) !== member.hash) changed.push(member);
        }
        // A collection empty when subscribed is reported once under its own name, as
        // absent names are: Envoy 1.40 then completes its initial fetch at once (it
        // waited out initial_fetch_timeout, 15 s by default, before).
        if (members.length === 0 && !returned.has(name)) {
          removed.push(name);
          absent.push(name);
        }
        continue;
      }
      const resource = resources.byName.get(name);
      if (resource !== undefined) {
        if (returned.get(name) !== resource.hash) changed.push(resource);
      } else {
        const held = returned.get(name);
        if (held === ABSENT_RESOURCE_VERSION) continue;
        removed.push(name);
        if (held === undefined) absent.push(name);
        const error = resources.errors.get(name);
        if (error !== undefined) errors.push(error);
      }
    }
    // Members of a subscribed collection the client holds that left the snapshot.
    if (globs) {
      for (const [name, version] of returned) {
        if (version === ABSENT_RESOURCE_VERSION || names.has(name) || resources.byName.has(name)) continue;
        const collection = xdstpCollectionOf(name);
        if (collection !== undefined && names.has(collection)) removed.push(name);
      }
    }
  }

  if (changed.length === 0 && removed.length === 0 && !(subscription.isWildcard() && !subscription.answered())) return undefined;
  return errors.length === 0 ? { resources: changed, removed, absent } : { resources: changed, removed, absent, errors };
}

/** The response to a delta watch from one type of a snapshot, or `undefined` when nothing changed for it. */
export function deltaResponse(watch: DeltaWatch, resources: TypeResources): DeltaResponse | undefined {
  const answer = answerDelta(watch.subscription, resources);
  if (answer === undefined) return undefined;
  return { request: watch.request, typeUrl: watch.typeUrl, systemVersion: resources.version, ...answer };
}
