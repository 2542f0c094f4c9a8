import type { Subscription } from "@xdskit/cache-core";

/** An open watch: what it asked, what it is subscribed to, whom to answer. */
export interface Watch<Request, Response> {
  readonly typeUrl: string;
  readonly request: Request;
  readonly subscription: Subscription;
  readonly respond: (response: Response) => void;
  /** False once answered or cancelled: `respond` is called at most once, never after cancel. */
  open: boolean;
}

/**
 * The open watches of one node and one protocol, by type URL, so a snapshot
 * update only looks at the watches it can answer. Empty sets are dropped:
 * a cancelled watch leaves nothing behind.
 */
export class WatchesByType<W extends { readonly typeUrl: string }> {
  readonly #byType = new Map<string, Set<W>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(watch: W): void {
    let watches = this.#byType.get(watch.typeUrl);
    if (watches === undefined) {
      watches = new Set();
      this.#byType.set(watch.typeUrl, watches);
    }
    watches.add(watch);
    this.#size++;
  }

  /** Removes a watch; false when it was not there (already answered or cancelled). */
  delete(watch: W): boolean {
    const watches = this.#byType.get(watch.typeUrl);
    if (watches === undefined || !watches.delete(watch)) return false;
    if (watches.size === 0) this.#byType.delete(watch.typeUrl);
    this.#size--;
    return true;
  }

  of(typeUrl: string): ReadonlySet<W> | undefined {
    return this.#byType.get(typeUrl);
  }

  typeUrls(): IterableIterator<string> {
    return this.#byType.keys();
  }
}
