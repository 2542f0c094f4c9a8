import { compareTypeUrls } from "@xdskit/cache-core";
import type { ResponseTurns } from "./response-turns.js";

/**
 * The responses a stream has ready but not yet written: at most one per
 * type URL (a newer one replaces an unsent older one), so a client that
 * does not read costs bounded memory. The writer takes them one at a time,
 * only when the transport asks for more, which is what backpressure needs.
 */
export class ResponseQueue<T> {
  readonly #pending = new Map<string, T>();
  readonly #ordered: boolean;
  #wake: (() => void) | undefined = undefined;
  // A turn was given to this queue while it waited for one: the next poll takes it.
  #admitted = false;
  #ended = false;
  #failed = false;
  #error: unknown = undefined;

  readonly #turns: ResponseTurns | undefined;

  /**
   * @param ordered take in `ADS_RESPONSE_ORDER` rather than in arrival order.
   * @param turns the server's turns: a response is taken only with a place in one.
   */
  constructor(ordered = false, turns?: ResponseTurns) {
    this.#ordered = ordered;
    this.#turns = turns;
  }

  /** Queues a response for a type, replacing an unsent one. Ignored once the queue ended. */
  put(typeUrl: string, item: T): void {
    if (this.#ended || this.#failed) return;
    this.#pending.delete(typeUrl);
    this.#pending.set(typeUrl, item);
    this.#signal();
  }

  /** Drops the unsent response of a type, if any. */
  drop(typeUrl: string): void {
    this.#pending.delete(typeUrl);
  }

  /** Number of unsent responses. */
  get size(): number {
    return this.#pending.size;
  }

  /** Ends the queue: `take` resolves `undefined` from now on. */
  end(): void {
    this.#ended = true;
    this.#pending.clear();
    this.#signal();
  }

  /** Fails the queue: `take` rejects with `error` (the first one given). */
  fail(error: unknown): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#pending.clear();
    this.#signal();
  }

  /**
   * The next response with its type URL if one is ready and has a turn now,
   * taken; `null` when there is none or no turn is free (wait with
   * {@link ResponseQueue.ready}); `undefined` once ended. Throws once failed.
   * What a writer asks first: no promise when it can go on.
   */
  poll(): readonly [string, T] | undefined | null {
    if (this.#failed) throw this.#error;
    if (this.#ended) return undefined;
    const typeUrl = this.#pick();
    if (typeUrl === undefined) return null;
    if (this.#admitted) this.#admitted = false;
    else {
      const turns = this.#turns;
      if (turns !== undefined && !turns.tryTake()) return null;
    }
    const item = this.#pending.get(typeUrl) as T;
    this.#pending.delete(typeUrl);
    return [typeUrl, item];
  }

  /**
   * Resolves once {@link ResponseQueue.poll} is worth asking again: a
   * response was put, the queue ended or failed, or the response waiting
   * for a turn got one (kept for the next `poll`).
   */
  ready(): Promise<void> {
    return new Promise<void>((resolve) => this.wait(resolve));
  }

  /**
   * Calls `wake` once when {@link ResponseQueue.poll} is worth asking again
   * (as {@link ResponseQueue.ready} resolves): later, for a writer that just
   * polled `null`; at once when it already is. Replaces the wake given before.
   */
  wait(wake: () => void): void {
    const ready = this.#pick() !== undefined;
    // A turn kept for a response that was dropped since waits for the next put: waking now would
    // only poll null again, and again.
    if (this.#failed || this.#ended || (ready && (this.#admitted || this.#turns === undefined))) {
      wake();
      return;
    }
    if (ready && this.#turns !== undefined) {
      // A response waits for a turn: the turn is kept for the next poll.
      this.#turns.call(() => {
        this.#admitted = true;
        wake();
      });
      return;
    }
    this.#wake = wake;
  }

  /**
   * The next response with its type URL; waits while none is ready, and for
   * a turn when the server is busy; `undefined` once ended. A response is
   * taken (and can no longer be replaced) only once it has its turn.
   */
  async take(): Promise<readonly [string, T] | undefined> {
    for (;;) {
      const next = this.poll();
      if (next !== null) return next;
      await this.ready();
    }
  }

  #pick(): string | undefined {
    let best: string | undefined;
    for (const typeUrl of this.#pending.keys()) {
      if (!this.#ordered) return typeUrl;
      if (best === undefined || compareTypeUrls(typeUrl, best) < 0) best = typeUrl;
    }
    return best;
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
