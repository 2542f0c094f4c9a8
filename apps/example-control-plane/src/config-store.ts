import { createHash } from "node:crypto";
import type { Registry } from "@bufbuild/protobuf";
import { ADS_RESPONSE_ORDER, CacheError, type CachedResource } from "@xdskit/cache-core";
import { createSnapshot, type SnapshotCache } from "@xdskit/cache-snapshot";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { type ConfigLoader, createConfigLoader, DEFAULT_GROUP, type GroupConfig, type LoadConfigOptions } from "./load-config.js";

export type ReloadResult =
  | { ok: true; versions: Map<string, Record<string, string>>; changedGroups: string[] }
  | { ok: false; problems: readonly ConfigProblem[] };

/** A content version: the same resources give the same version, across restarts too. */
function versionOf(resources: Iterable<CachedResource>): string {
  const h = createHash("sha256");
  for (const r of [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) h.update(`${r.name}\0${r.hash}\n`);
  return h.digest("base64url").slice(0, 12);
}

interface Versioned {
  readonly list: readonly CachedResource[];
  readonly version: string;
}

const sameObjects = (a: readonly CachedResource[], b: readonly CachedResource[]): boolean => a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * Keeps a snapshot cache in step with a config directory: one snapshot per
 * node group, each type versioned by its content so an edit re-sends only
 * the types it touched. A reload with any problem changes nothing: the
 * last good snapshots keep being served.
 */
export class ConfigStore {
  #groups = new Set<string>([DEFAULT_GROUP]);
  #versions = new Map<string, Record<string, string>>();
  /** What each group's types were made of at the last good reload, and their versions. */
  #lists = new Map<string, Map<string, Versioned>>();
  readonly #loader: ConfigLoader;

  constructor(
    readonly dir: string,
    readonly cache: SnapshotCache,
    readonly registry: Registry,
    readonly options: LoadConfigOptions = {},
  ) {
    this.#loader = createConfigLoader(dir, registry, options);
  }

  /** The snapshot key for a node: its `cluster` when a group has that name, else its `id`, else `default`. */
  readonly nodeGroup = (node: Node | undefined): string => {
    if (!node?.id) throw new CacheError("missing-node", "the request carries no node id");
    if (node.cluster && this.#groups.has(node.cluster)) return node.cluster;
    if (this.#groups.has(node.id)) return node.id;
    return DEFAULT_GROUP;
  };

  groups(): string[] {
    return [...this.#groups].sort();
  }

  versions(group: string): Record<string, string> | undefined {
    return this.#versions.get(group);
  }

  reload(): ReloadResult {
    let loaded: Map<string, GroupConfig>;
    try {
      loaded = this.#loader.load();
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, problems: e.problems };
      throw e;
    }
    const lists = new Map<string, Map<string, Versioned>>();
    const snapshots = [...loaded].map(([group, config]) => {
      const versions: Record<string, string> = {};
      const resources: Record<string, CachedResource[]> = {};
      const byType = new Map<string, Versioned>();
      lists.set(group, byType);
      for (const typeUrl of new Set([...ADS_RESPONSE_ORDER, ...config.keys()])) {
        const list = [...(config.get(typeUrl)?.values() ?? [])].map((l) => l.resource);
        const last = this.#lists.get(group)?.get(typeUrl);
        // The same resource objects as at the last reload (unchanged files): the same version, not hashed again.
        const version = last !== undefined && sameObjects(last.list, list) ? last.version : versionOf(list);
        byType.set(typeUrl, { list, version });
        resources[typeUrl] = list;
        versions[typeUrl] = version;
      }
      return { group, versions, resources };
    });
    const changedGroups: string[] = [];
    for (const { group, versions, resources } of snapshots) {
      const before = this.#versions.get(group);
      if (before && Object.keys(versions).every((t) => before[t] === versions[t])) continue;
      this.cache.setSnapshot(group, createSnapshot(versions, resources));
      this.#versions.set(group, versions);
      changedGroups.push(group);
    }
    this.#lists = lists;
    for (const gone of [...this.#groups].filter((g) => !loaded.has(g))) {
      this.cache.clearSnapshot(gone);
      this.#versions.delete(gone);
    }
    this.#groups = new Set(loaded.keys());
    return { ok: true, versions: new Map(this.#versions), changedGroups };
  }
}
