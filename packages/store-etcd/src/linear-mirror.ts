import { silentLogger } from "@xdskit/cache-core";
import type { LinearCache } from "@xdskit/cache-linear";
import type { EtcdMirror, EtcdMirrorOptions, MirrorStatus } from "./etcd-mirror.js";
import { normalizePrefix, typeKeyPrefix } from "./key-layout.js";
import { PrefixWatch } from "./prefix-watch.js";
import { ResourceTable, type ServedChange } from "./resource-table.js";

/** Options of {@link createLinearMirror}. */
export interface LinearMirrorOptions extends EtcdMirrorOptions {
  /**
   * The cache to keep equal to `<prefix><group>/<type>/`, where the type is the
   * cache's. Give each replica's cache its own `versionPrefix` (say, the host
   * name): LinearCache versions count updates per process, and a distinct
   * prefix makes a proxy that moves between replicas get the full state.
   */
  readonly cache: LinearCache;
  /** The group whose resources of the cache's type are mirrored. */
  readonly group: string;
}

class LinearMirrorImpl implements EtcdMirror {
  readonly #table: ResourceTable;
  readonly #watch: PrefixWatch;

  constructor(options: LinearMirrorOptions) {
    const prefix = normalizePrefix(options.prefix);
    const logger = options.logger ?? silentLogger;
    const cache = options.cache;
    this.#table = new ResourceTable(prefix, options, logger);
    const apply = (changes: readonly ServedChange[]): void => {
      // The last change of each name wins (a batch may put and then delete the same key).
      const last = new Map(changes.map((c) => [c.ref.name, c.resource]));
      const upserts = [...last.values()].filter((r) => r !== undefined);
      const deletes = [...last].filter(([, r]) => r === undefined).map(([name]) => name);
      // One version step per batch.
      if (last.size > 0) cache.updateResources(upserts, deletes);
    };
    this.#watch = new PrefixWatch(
      options.client,
      typeKeyPrefix(prefix, options.group, cache.typeUrl),
      {
        load: (values, revision, reason) => {
          const changes = this.#table.load(values);
          apply(changes);
          options.onUpdate?.({ revision, reason, changed: changes.length });
        },
        apply: (changes, revision) => {
          const served = this.#table.apply(changes);
          apply(served);
          options.onUpdate?.({ revision, reason: "watch", changed: served.length });
        },
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
}

/**
 * Keeps a `LinearCache` equal to the resources of one group and the cache's
 * type in etcd (per-resource versions: a change reaches only the streams that
 * watch that resource).
 */
export function createLinearMirror(options: LinearMirrorOptions): EtcdMirror {
  return new LinearMirrorImpl(options);
}
