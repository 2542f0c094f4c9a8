/**
 * Counts the open streams of a server against a limit. Share one between
 * every handler of a server so that the limit counts all of them
 * (`createXdsServer` does).
 */
export class StreamSlots {
  readonly limit: number;
  #open = 0;

  /** @param limit the most streams open at once; `Infinity` for no limit. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Streams open now. */
  get open(): number {
    return this.#open;
  }

  /** Takes a slot and returns true, or returns false when every slot is taken. */
  tryAcquire(): boolean {
    if (this.#open >= this.limit) return false;
    this.#open += 1;
    return true;
  }

  /** Gives back a slot taken with {@link tryAcquire}. */
  release(): void {
    if (this.#open > 0) this.#open -= 1;
  }
}
