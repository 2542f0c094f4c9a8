import { defaultResourceTypes, silentLogger, type CachedResource, type ResourceTypeRegistry } from "@xdskit/cache-core";
import { createSnapshot, type SnapshotCache } from "@xdskit/cache-snapshot";
import type { EtcdMirror, EtcdMirrorOptions, MirrorStatus, MirrorUpdate } from "./etcd-mirror.js";
import { getOrAdd } from "./get-or-add.js";
import { normalizePrefix } from "./key-layout.js";
import { PrefixWatch, type LoadReason } from "./prefix-watch.js";
import { ResourceTable, type ServedChange } from "./resource-table.js";

/** Options of {@link createSnapshotMirror}. */
export interface SnapshotMirrorOptions extends EtcdMirrorOptions {
  /** The cache to keep equal to the prefix: one snapshot per group, keyed by the group name. */
  readonly cache: SnapshotCache;
  /** Prepended to every version (`<versionPrefix><revision>`). Default `""`. */
  readonly versionPrefix?: string | undefined;
}

/** A mirror into a `SnapshotCache`. */
export interface SnapshotMirror extends EtcdMirror {
  /** Groups that hold at least one resource, sorted. */
  groups(): string[];
  /** Whether `group` holds at least one resource (cheap enough for a cache's `nodeHash`). */
  hasGroup(group: string): boolean;
}

interface GroupState {
  readonly byType: Map<string, Map<string, CachedResource>>;
  readonly versions: Map<string, string>;
}

class SnapshotMirrorImpl implements SnapshotMirror {
  readonly #cache: SnapshotCache;
  readonly #types: ResourceTypeRegistry;
  readonly #versionPrefix: string;
  readonly #onUpdate: ((update: MirrorUpdate) => void) | undefined;
  readonly #table: ResourceTable;
  readonly #watch: PrefixWatch;
  readonly #groups = new Map<string, GroupState>();

  constructor(options: SnapshotMirrorOptions) {
    const prefix = normalizePrefix(options.prefix);
    const logger = options.logger ?? silentLogger;
    this.#cache = options.cache;
    this.#types = options.types ?? defaultResourceTypes;
    this.#versionPrefix = options.versionPrefix ?? "";
    this.#onUpdate = options.onUpdate;
    this.#table = new ResourceTable(prefix, { ...options, types: this.#types }, logger);
    this.#watch = new PrefixWatch(
      options.client,
      prefix,
      {
        load: (values, revision, reason) => this.#set(this.#table.load(values), revision, reason),
        apply: (changes, revision) => this.#set(this.#table.apply(changes), revision, "watch"),
      },
      {
        logger,
        initialDelayMs: options.reconnectDelayMs ?? 100,
        maxDelayMs: options.maxReconnectDelayMs ?? 2_000,
        pageSize: options.pageSize ?? 500,
      },
    );
  }

  start(): Promise<void> {
    return this.#watch.start();
  }

  revision(): number {
    return this.#watch.revision();
  }

  groups(): string[] {
    return [...this.#groups.keys()].filter((name) => this.hasGroup(name)).sort();
  }

  hasGroup(group: string): boolean {
    const state = this.#groups.get(group);
    if (state === undefined) return false;
    for (const byName of state.byType.values()) if (byName.size > 0) return true;
    return false;
  }

  status(): MirrorStatus {
    return {
      state: this.#watch.state(),
      revision: this.#watch.revision(),
      loads: this.#watch.loads(),
      resumes: this.#watch.resumes(),
      member: this.#watch.member(),
      skipped: new Map(this.#table.skipped()),
    };
  }

  close(): Promise<void> {
    return this.#watch.close();
  }

  /**
   * Applies served changes and sets one new snapshot per touched group. A
   * type's version is the revision at which this mirror last changed it, so
   * equal versions mean equal content on every replica: a proxy that moves to
   * another replica is re-sent only what differs.
   */
  #set(changes: readonly ServedChange[], revision: number, reason: LoadReason | "watch"): void {
    const version = `${this.#versionPrefix}${revision}`;
    const touched = new Map<string, Set<string>>();
    for (const { ref, resource } of changes) {
      let group = this.#groups.get(ref.group);
      if (group === undefined) {
        // A new group: every type starts at this revision (types it lacks are served empty).
        group = { byType: new Map(), versions: new Map(this.#types.typeUrls().map((t) => [t, version])) };
        this.#groups.set(ref.group, group);
        touched.set(ref.group, new Set(this.#types.typeUrls()));
      }
      const byName = getOrAdd(group.byType, ref.typeUrl, () => new Map<string, CachedResource>());
      if (resource === undefined) byName.delete(ref.name);
      else byName.set(ref.name, resource);
      getOrAdd(touched, ref.group, () => new Set<string>()).add(ref.typeUrl);
    }
    for (const [name, types] of touched) {
      const group = this.#groups.get(name);
      if (group === undefined) continue;
      for (const typeUrl of types) group.versions.set(typeUrl, version);
      const resources: Record<string, CachedResource[]> = {};
      for (const [typeUrl, byName] of group.byType) resources[typeUrl] = [...byName.values()];
      this.#cache.setSnapshot(name, createSnapshot(Object.fromEntries(group.versions), resources, { types: this.#types }));
    }
    this.#onUpdate?.({ revision, reason, changed: changes.length });
  }
}

/**
 * Keeps a `SnapshotCache` equal to a key prefix of etcd: one snapshot per
 * group, set once per etcd revision (or once per batch of revisions the watch
 * delivers together) that touches the group, so each group changes
 * atomically. A group whose resources are all deleted gets an empty snapshot.
 */
export function createSnapshotMirror(options: SnapshotMirrorOptions): SnapshotMirror {
  return new SnapshotMirrorImpl(options);
}
