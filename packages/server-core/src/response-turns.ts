// `setImmediate` where the runtime has it (Node, Bun, Deno): it runs after pending I/O callbacks.
const nextTurn: (run: () => void) => void =
  typeof setImmediate === "function" ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

/**
 * Spreads the responses that many streams have ready at the same moment
 * (one `setSnapshot` answering thousands of watches) over turns of the event
 * loop: at most `perTurn` responses are handed out per turn, the rest after
 * the runtime had a chance to write out what was handed out before. So the
 * first clients get the new version while later responses are still being
 * made, instead of every response being made before any leaves the process.
 * First come, first served; one per server, shared by every stream.
 */
export class ResponseTurns {
  readonly #perTurn: number;
  #used = 0;
  #scheduled = false;
  // A FIFO of waiters: an array read from #head, compacted as it empties.
  #waiting: Array<() => void> = [];
  #head = 0;

  constructor(perTurn: number) {
    this.#perTurn = perTurn;
  }

  /** Takes a place in this turn when one is left and nobody waits for one; false otherwise. */
  tryTake(): boolean {
    if (this.#head < this.#waiting.length || this.#used >= this.#perTurn) return false;
    this.#used++;
    this.#schedule();
    return true;
  }

  /** Resolves in a later turn, with a place in it taken for the caller. */
  next(): Promise<void> {
    return new Promise((resolve) => this.call(resolve));
  }

  /** Calls `run` in a later turn, with a place in it taken for it: {@link ResponseTurns.next} without a promise. */
  call(run: () => void): void {
    this.#waiting.push(run);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    nextTurn(this.#turn);
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    const waiting = this.#waiting;
    const end = Math.min(waiting.length, this.#head + this.#perTurn);
    const due = waiting.slice(this.#head, end);
    this.#head = end;
    if (this.#head === waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > waiting.length) {
      this.#waiting = waiting.slice(this.#head);
      this.#head = 0;
    }
    this.#used = due.length;
    // A busy turn is followed by another that resets the count (and serves the next waiters).
    if (this.#used > 0) this.#schedule();
    for (const resolve of due) resolve();
  };
}
