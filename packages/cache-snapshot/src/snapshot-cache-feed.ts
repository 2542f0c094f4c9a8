import { prepareRawResource, type CachedResource, type ResourceErrorReport, type ResourceTypeRegistry } from "@xdskit/cache-core";
import { createSnapshot, type Snapshot, type VersionedSnapshot } from "./snapshot.js";

/** One resource as it crosses to a follower: its marshalled bytes, never re-marshalled. */
export interface SnapshotResourceData {
  /** The resource name (canonical spelling). */
  readonly name: string;
  /** The marshalled resource, as the snapshot holds it. */
  readonly bytes: Uint8Array;
  /** Time to live in milliseconds, or `undefined` for none. */
  readonly ttlMs: number | undefined;
}

/** One type of a {@link SnapshotData}. */
export interface SnapshotTypeData {
  /** The type URL. */
  readonly typeUrl: string;
  /** The type's version. */
  readonly version: string;
  /** Its resources, in the snapshot's order. */
  readonly resources: readonly SnapshotResourceData[];
  /** The errors served for names without a resource. */
  readonly errors: readonly ResourceErrorReport[];
}

/** A snapshot as plain data, for a follower to rebuild without re-marshalling. */
export interface SnapshotData {
  /**
   * Which snapshot this is, unique within one leading cache's feed: a
   * snapshot set for many node keys is rebuilt once by a follower.
   */
  readonly id: number;
  /** The one version of every type, or `undefined` for a version per type. */
  readonly version: string | undefined;
  /** Every type the snapshot holds or versions. */
  readonly types: readonly SnapshotTypeData[];
}

/** Everything a follower of a snapshot cache starts from (`SnapshotCache.feedState`). */
export interface SnapshotCacheState {
  /** The snapshot of every node key that has one. */
  readonly snapshots: readonly { readonly node: string; readonly snapshot: SnapshotData }[];
}

/** One change of a snapshot cache's feed (`SnapshotCache.onChange`): a snapshot set, or cleared. */
export type SnapshotCacheChange =
  | { readonly kind: "set"; readonly node: string; readonly snapshot: SnapshotData }
  | { readonly kind: "clear"; readonly node: string };

/** Leader side: the data of each snapshot, made once however many node keys it is set for. */
export class SnapshotDataCache {
  readonly #data = new WeakMap<Snapshot, SnapshotData>();
  #nextId = 1;

  of(snapshot: VersionedSnapshot): SnapshotData {
    let data = this.#data.get(snapshot);
    if (data === undefined) {
      data = {
        id: this.#nextId++,
        version: snapshot.singleVersion,
        types: snapshot.typeUrls().map((typeUrl) => ({
          typeUrl,
          version: snapshot.version(typeUrl) ?? "",
          resources: [...snapshot.resources(typeUrl).values()].map(resourceDataOf),
          errors: [...snapshot.resourceErrors(typeUrl).values()],
        })),
      };
      this.#data.set(snapshot, data);
    }
    return data;
  }
}

function resourceDataOf(resource: CachedResource): SnapshotResourceData {
  return { name: resource.name, bytes: resource.bytes, ttlMs: resource.ttlMs };
}

/** Follower side: snapshots rebuilt from data, shared by the node keys that hold the same one. */
export class FollowedSnapshots {
  readonly #types: ResourceTypeRegistry;
  readonly #byId = new Map<number, { snapshot: Snapshot; holders: number }>();
  readonly #idOfNode = new Map<string, number>();

  constructor(types: ResourceTypeRegistry) {
    this.#types = types;
  }

  /** The snapshot `node` now holds, rebuilt from `data` unless another node key holds it. */
  set(node: string, data: SnapshotData): Snapshot {
    this.clear(node);
    let held = this.#byId.get(data.id);
    if (held === undefined) {
      held = { snapshot: this.#build(data), holders: 0 };
      this.#byId.set(data.id, held);
    }
    held.holders++;
    this.#idOfNode.set(node, data.id);
    return held.snapshot;
  }

  clear(node: string): void {
    const id = this.#idOfNode.get(node);
    if (id === undefined) return;
    this.#idOfNode.delete(node);
    const held = this.#byId.get(id);
    if (held !== undefined && --held.holders === 0) this.#byId.delete(id);
  }

  #build(data: SnapshotData): Snapshot {
    const resources: Record<string, CachedResource[]> = {};
    const versions: Record<string, string> = {};
    const errors: Record<string, Record<string, ResourceErrorReport>> = {};
    for (const type of data.types) {
      versions[type.typeUrl] = type.version;
      resources[type.typeUrl] = type.resources.map((r) =>
        prepareRawResource({ typeUrl: type.typeUrl, name: r.name, bytes: r.bytes, ttlMs: r.ttlMs }),
      );
      if (type.errors.length > 0) errors[type.typeUrl] = Object.fromEntries(type.errors.map((e) => [e.name, e]));
    }
    return createSnapshot(data.version ?? versions, resources, { types: this.#types, errors });
  }
}
