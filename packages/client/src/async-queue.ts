/**
 * The request side of a bidi stream: writes are pushed, the transport pulls
 * them as an async iterable. Requests are tiny and few (one per response at
 * most), so no bound is needed beyond the protocol's own pacing.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;

  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  close(): void {
    this.#closed = true;
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((res) => {
          this.#waiting = res;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
      // The transport calls throw() when the call fails; the queue just ends.
      throw: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
