import type { Cancel } from "./config-watcher.js";
import type { LogFields, Logger } from "./logger.js";

/**
 * The listeners of a cache's change feed ({@link ChangeFeed}`.onChange`), for
 * caches that publish one. A listener that throws is logged (with `fields`)
 * and the others still run: a broken follower must not stop the leading
 * cache's update.
 */
export class ChangeListeners<C> {
  readonly #listeners = new Set<(change: C) => void>();
  readonly #logger: Logger;
  readonly #fields: LogFields;

  constructor(logger: Logger, fields: LogFields = {}) {
    this.#logger = logger;
    this.#fields = fields;
  }

  /** Whether anyone listens: a cache builds a change only then. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  /** Adds a listener; the returned function removes it. */
  add(listener: (change: C) => void): Cancel {
    // A wrapper per call, so the same function added twice is called twice and removed once per cancel.
    const wrapped = (change: C): void => listener(change);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Calls every listener with `change`, in the order they were added. */
  emit(change: C): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error("a change listener threw", { ...this.#fields, error });
      }
    }
  }
}
