import type { CachedResource, ResourceErrorReport } from "@xdskit/cache-core";
import type { ResourceStore } from "./resource-store.js";

/** One resource as it crosses to a follower: its marshalled bytes, never re-marshalled. */
export interface LinearCacheResourceData {
  /** The resource name (canonical spelling). */
  readonly name: string;
  /** The marshalled resource, as the leading cache holds it. */
  readonly bytes: Uint8Array;
  /** Time to live in milliseconds, or `undefined` for none. */
  readonly ttlMs: number | undefined;
}

/** A resource of a {@link LinearCacheState}, with the counter value at which it last changed. */
export interface LinearCacheStateResource extends LinearCacheResourceData {
  /** The counter value at which the resource last changed (0 for initial resources). */
  readonly changedAt: number;
}

/** A per-resource error of a {@link LinearCacheState}, with the counter value at which it was set. */
export interface LinearCacheStateError {
  /** The error, as `setResourceError` stored it. */
  readonly report: ResourceErrorReport;
  /** The counter value at which it was set. */
  readonly setAt: number;
}

/**
 * Everything a follower of a linear cache starts from (`LinearCache.feedState`):
 * plain data for `followLinearCache`.
 */
export interface LinearCacheState {
  /** The type URL served. */
  readonly typeUrl: string;
  /** The cache's `versionPrefix`. */
  readonly versionPrefix: string;
  /** The version counter. */
  readonly counter: number;
  /** Every resource. */
  readonly resources: readonly LinearCacheStateResource[];
  /** Every per-resource error. */
  readonly errors: readonly LinearCacheStateError[];
}

/**
 * One change of a linear cache's feed (`LinearCache.onChange`): a version
 * step of resources (`updateResources`, `setResources` and the single-resource
 * forms: only what changed), or a per-resource error set or cleared
 * (`setResourceError`). `counter` is the version counter after the change.
 */
export type LinearCacheChange =
  | {
      readonly kind: "resources";
      readonly counter: number;
      /** Resources added or replaced (content or TTL changed). */
      readonly upserts: readonly LinearCacheResourceData[];
      /** Names removed. */
      readonly deletes: readonly string[];
    }
  | {
      readonly kind: "error";
      readonly counter: number;
      readonly name: string;
      /** The new error, or `undefined` when it was cleared. */
      readonly error: ResourceErrorReport | undefined;
    };

/** A resource as a change or a state carries it. */
export function resourceDataOf(resource: CachedResource): LinearCacheResourceData {
  return { name: resource.name, bytes: resource.bytes, ttlMs: resource.ttlMs };
}

/** The state a follower starts from: every resource and error, with the counter value each is from. */
export function linearCacheStateOf(store: ResourceStore, typeUrl: string, versionPrefix: string): LinearCacheState {
  const resources = [];
  for (const name of store.names()) {
    const resource = store.get(name);
    if (resource !== undefined) resources.push({ ...resourceDataOf(resource), changedAt: store.changedAt(name) });
  }
  const errors = [...store.errors().entries()].map(([name, report]) => ({ report, setAt: store.errorSetAt(name) }));
  return { typeUrl, versionPrefix, counter: store.counter, resources, errors };
}
