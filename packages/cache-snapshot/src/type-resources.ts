import { type CachedResource, xdstpCollectionOf } from "@xdskit/cache-core";

/**
 * One type of a snapshot at one version: what every watch of that type is
 * answered from. Built once per snapshot and shared by every node and watch
 * that gets it; responses reuse {@link list} (wildcard) or pick from
 * {@link byName}, never copying or re-encoding resources.
 */
export class TypeResources {
  readonly typeUrl: string;
  readonly version: string;
  readonly byName: ReadonlyMap<string, CachedResource>;
  /** Every resource, in the order given; frozen, so it can be handed out as is. */
  readonly list: readonly CachedResource[];
  /** The resources that carry a TTL: what a heartbeat refreshes. */
  readonly withTtl: readonly CachedResource[];

  constructor(typeUrl: string, version: string, resources: readonly CachedResource[]) {
    this.typeUrl = typeUrl;
    this.version = version;
    this.list = Object.freeze(resources);
    const byName = new Map<string, CachedResource>();
    for (const resource of resources) byName.set(resource.name, resource);
    this.byName = byName;
    this.withTtl = Object.freeze(resources.filter((resource) => resource.ttlMs !== undefined));
  }

  #collections: Map<string, CachedResource[]> | undefined;

  /**
   * The members of an `xdstp://` glob collection (canonical glob name, see
   * `xdstpCollectionOf`), in snapshot order. Indexed on first use, once per
   * snapshot type, so types without federation names never pay for it.
   */
  collection(glob: string): readonly CachedResource[] {
    if (this.#collections === undefined) {
      const collections = new Map<string, CachedResource[]>();
      for (const resource of this.list) {
        const collection = xdstpCollectionOf(resource.name);
        if (collection === undefined) continue;
        const members = collections.get(collection);
        if (members === undefined) collections.set(collection, [resource]);
        else members.push(resource);
      }
      this.#collections = collections;
    }
    return this.#collections.get(glob) ?? NO_RESOURCES;
  }
}

const NO_RESOURCES: readonly CachedResource[] = Object.freeze([]);
