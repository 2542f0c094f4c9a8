import type { CachedResource } from "@xdskit/cache-core";

/** What a SotW server derives from the resource list of a response it sends. */
export interface ResourceListIndex {
  /** The names, in order. Frozen. */
  readonly names: readonly string[];
  /** name → hash: what a client holds once it applies the response. Shared: never change it. */
  readonly versions: ReadonlyMap<string, string>;
}

const indexes = new WeakMap<readonly CachedResource[], ResourceListIndex>();

/**
 * The index of a resource list. A frozen list, which is how caches hand out
 * a list they answer many watches with (a snapshot type's resources, a
 * linear cache's wildcard list), is indexed once and its index shared by
 * every stream sent it, for as long as the list lives; any other list is
 * indexed per call.
 */
export function resourceListIndex(resources: readonly CachedResource[]): ResourceListIndex {
  const known = indexes.get(resources);
  if (known !== undefined) return known;
  const names: string[] = [];
  const versions = new Map<string, string>();
  for (const resource of resources) {
    names.push(resource.name);
    versions.set(resource.name, resource.hash);
  }
  const index: ResourceListIndex = { names: Object.freeze(names), versions };
  if (Object.isFrozen(resources)) indexes.set(resources, index);
  return index;
}
