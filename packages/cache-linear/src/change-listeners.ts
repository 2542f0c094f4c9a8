import type { Cancel, Logger } from "@xdskit/cache-core";

/**
 * The listeners of a cache's change feed (`onChange`). A listener that throws
 * is logged and the others still run: a broken follower must not stop the
 * leading cache's update.
 */
export class ChangeListeners<C> {
  readonly #listeners = new Set<(change: C) => void>();
  readonly #logger: Logger;
  readonly #typeUrl: string;

  constructor(logger: Logger, typeUrl: string) {
    this.#logger = logger;
    this.#typeUrl = typeUrl;
  }

  /** Whether anyone listens: updates make a change only then. */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  add(listener: (change: C) => void): Cancel {
    // A wrapper per call, so the same function added twice is called twice and removed once per cancel.
    const wrapped = (change: C): void => listener(change);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  emit(change: C): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error("a change listener threw", { typeUrl: this.#typeUrl, error });
      }
    }
  }
}
