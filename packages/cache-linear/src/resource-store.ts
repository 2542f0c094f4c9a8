import type { CachedResource, ResourceErrorReport } from "@xdskit/cache-core";
import { collectionKeys } from "./resource-glob.js";
import type { WatchKeys } from "./watch-keys.js";

/**
 * The current resources, the linear version counter, and for each resource
 * the counter value at which it last changed. Names are also indexed by every
 * `/`-prefix so glob subscriptions expand without a scan.
 */
export class ResourceStore {
  readonly #resources = new Map<string, CachedResource>();
  readonly #changedAt = new Map<string, number>();
  readonly #byPrefix = new Map<string, Set<string>>();
  #all: readonly CachedResource[] | undefined;
  #counter = 0;
  // Per-resource errors (xRFC TP3), and the counter value at which each was last set.
  readonly #errors = new Map<string, ResourceErrorReport>();
  readonly #errorSetAt = new Map<string, number>();

  /** The version counter: bumped once per update that changes anything. */
  get counter(): number {
    return this.#counter;
  }

  get size(): number {
    return this.#resources.size;
  }

  get(name: string): CachedResource | undefined {
    return this.#resources.get(name);
  }

  has(name: string): boolean {
    return this.#resources.has(name);
  }

  names(): IterableIterator<string> {
    return this.#resources.keys();
  }

  /** The counter value at which `name` last changed (0 for initial resources). */
  changedAt(name: string): number {
    return this.#changedAt.get(name) ?? 0;
  }

  /** Every resource, as one array built once per version and shared by every wildcard response. */
  all(): readonly CachedResource[] {
    this.#all ??= Object.freeze([...this.#resources.values()]);
    return this.#all;
  }

  /** A copy of the name → resource map. */
  snapshot(): Map<string, CachedResource> {
    return new Map(this.#resources);
  }

  /** Starts a new version step; call before {@link put}/{@link remove} of that step. */
  bump(): number {
    return ++this.#counter;
  }

  /** Sets the counter: for a follower starting from a leading cache's state, before any {@link put}. */
  startAt(counter: number): void {
    this.#counter = counter;
  }

  put(resource: CachedResource, at: number): void {
    const { name } = resource;
    if (!this.#resources.has(name)) {
      for (const prefix of collectionKeys(name)) {
        let set = this.#byPrefix.get(prefix);
        if (set === undefined) {
          set = new Set();
          this.#byPrefix.set(prefix, set);
        }
        set.add(name);
      }
    }
    this.#resources.set(name, resource);
    this.#changedAt.set(name, at);
    this.#all = undefined;
  }

  remove(name: string): void {
    if (!this.#resources.delete(name)) return;
    this.#changedAt.delete(name);
    for (const prefix of collectionKeys(name)) {
      const set = this.#byPrefix.get(prefix);
      if (set === undefined) continue;
      set.delete(name);
      if (set.size === 0) this.#byPrefix.delete(prefix);
    }
    this.#all = undefined;
  }

  /** The error of `name`, whether or not it has a resource. */
  error(name: string): ResourceErrorReport | undefined {
    return this.#errors.get(name);
  }

  /** Every error, name → report. */
  errors(): ReadonlyMap<string, ResourceErrorReport> {
    return this.#errors;
  }

  /** The counter value at which the error of `name` was last set; -1 when it has none. */
  errorSetAt(name: string): number {
    return this.#errorSetAt.get(name) ?? -1;
  }

  /** Sets (or, with `undefined`, clears) the error of `name`, at counter value `at`. */
  setError(name: string, report: ResourceErrorReport | undefined, at: number): void {
    if (report === undefined) {
      this.#errors.delete(name);
      this.#errorSetAt.delete(name);
      return;
    }
    this.#errors.set(name, report);
    this.#errorSetAt.set(name, at);
  }

  /** Names of existing resources under a glob prefix. */
  namesUnder(prefix: string): ReadonlySet<string> {
    return this.#byPrefix.get(prefix) ?? EMPTY;
  }

  /**
   * The existing resources a watch covers, each once: all of them for a
   * wildcard, otherwise exact names then glob expansions, in subscription order.
   */
  covered(keys: WatchKeys): readonly CachedResource[] {
    if (keys.wildcard) return this.all();
    const out: CachedResource[] = [];
    for (const name of keys.names) {
      const resource = this.#resources.get(name);
      if (resource !== undefined) out.push(resource);
    }
    if (keys.prefixes.size === 0) return out;
    const seen = new Set(keys.names);
    for (const prefix of keys.prefixes) {
      for (const name of this.namesUnder(prefix)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const resource = this.#resources.get(name);
        if (resource !== undefined) out.push(resource);
      }
    }
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
