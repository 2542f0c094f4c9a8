import { collectionKeys } from "./resource-glob.js";
import type { WatchKeys } from "./watch-keys.js";

/** A watch as the index sees it. */
export interface IndexedWatch {
  readonly keys: WatchKeys;
}

function addTo<K, W>(map: Map<K, Set<W>>, key: K, watch: W): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(watch);
}

function removeFrom<K, W>(map: Map<K, Set<W>>, key: K, watch: W): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(watch);
  if (set.size === 0) map.delete(key);
}

/**
 * Open watches indexed by the names they cover, so that an update visits only
 * the watches interested in what changed: by exact name, by glob prefix (one
 * lookup per `/` in the changed name) and the wildcard set.
 */
export class WatchesByName<W extends IndexedWatch> {
  readonly #byName = new Map<string, Set<W>>();
  readonly #byPrefix = new Map<string, Set<W>>();
  readonly #wildcard = new Set<W>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(watch: W): void {
    const { keys } = watch;
    if (keys.wildcard) this.#wildcard.add(watch);
    else {
      for (const name of keys.names) addTo(this.#byName, name, watch);
      for (const prefix of keys.prefixes) addTo(this.#byPrefix, prefix, watch);
    }
    this.#size++;
  }

  remove(watch: W): void {
    const { keys } = watch;
    if (keys.wildcard) this.#wildcard.delete(watch);
    else {
      for (const name of keys.names) removeFrom(this.#byName, name, watch);
      for (const prefix of keys.prefixes) removeFrom(this.#byPrefix, prefix, watch);
    }
    this.#size--;
  }

  /** How many watches cover `name` (wildcard and glob watches included); only those `counted` accepts, when given. */
  countFor(name: string, counted?: (watch: W) => boolean): number {
    const hits = this.#collect([name]);
    if (counted === undefined) return hits.size;
    let count = 0;
    for (const watch of hits.keys()) if (counted(watch)) count++;
    return count;
  }

  /**
   * The watches that cover any of `changed`, each with the changed names it
   * covers, in order (read-only: the lists may be shared, `changed` itself included). Cost: the number of (changed name, interested watch)
   * pairs, whatever the total number of watches.
   */
  affected(changed: readonly string[]): Map<W, readonly string[]> {
    return this.#collect(changed);
  }

  #collect(changed: readonly string[]): Map<W, readonly string[]> {
    if (changed.length === 1) return this.#collectOne(changed);
    const hits = new Map<W, string[]>();
    const hit = (watch: W, name: string): void => {
      const names = hits.get(watch);
      if (names === undefined) hits.set(watch, [name]);
      // A watch can cover one name by exact name and by a prefix: count it once.
      else if (names[names.length - 1] !== name) names.push(name);
    };
    for (const name of changed) {
      for (const watch of this.#wildcard) hit(watch, name);
      const exact = this.#byName.get(name);
      if (exact !== undefined) for (const watch of exact) hit(watch, name);
      if (this.#byPrefix.size > 0) {
        for (const prefix of collectionKeys(name)) {
          const globbed = this.#byPrefix.get(prefix);
          if (globbed !== undefined) for (const watch of globbed) hit(watch, name);
        }
      }
    }
    return hits;
  }

  // One changed name (the usual update): every watch hit covers exactly it, so they share one list.
  #collectOne(changed: readonly string[]): Map<W, readonly string[]> {
    const name = changed[0] as string;
    const covered = changed;
    const hits = new Map<W, readonly string[]>();
    for (const watch of this.#wildcard) hits.set(watch, covered);
    const exact = this.#byName.get(name);
    if (exact !== undefined) for (const watch of exact) hits.set(watch, covered);
    if (this.#byPrefix.size > 0) {
      for (const prefix of collectionKeys(name)) {
        const globbed = this.#byPrefix.get(prefix);
        if (globbed !== undefined) for (const watch of globbed) hits.set(watch, covered);
      }
    }
    return hits;
  }
}
