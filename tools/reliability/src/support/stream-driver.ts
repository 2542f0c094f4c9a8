// Drives the transport-neutral SotW / delta stream handlers of @xdskit/server-sotw and
// @xdskit/server-delta directly: requests go in through an async iterable we control, responses
// come out of the handler's async iterable, and the Connect HandlerContext is reduced to what the
// handlers read (request headers and the abort signal). Fast enough for 100,000 sequences.
import type { HandlerContext } from "@connectrpc/connect";
import { setImmediate as tick } from "node:timers/promises";

/** An async iterable whose items are pushed from outside; `end()` is the client's half-close. */
export class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#signal();
  }
  end(): void {
    this.#ended = true;
    this.#signal();
  }
  #signal(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

export interface DrivenStream<Req, Res> {
  readonly requests: Channel<Req>;
  /** Responses received so far, in order. */
  readonly responses: Res[];
  /** Responses received after `cancel()`. */
  readonly afterCancel: Res[];
  /** Set once the handler's iterable finished: `undefined` for a clean end, else what it threw. */
  readonly outcome: { done: boolean; error: unknown };
  /** The client goes away (Connect aborts the context signal). */
  cancel(): void;
  readonly cancelled: boolean;
  /** Lets the handler and the cache run until nothing is pending (one macrotask turn). */
  settle(): Promise<void>;
}

export function drive<Req, Res>(
  handler: (requests: AsyncIterable<Req>, context: HandlerContext) => AsyncIterable<Res>,
  onResponse?: (response: Res) => void,
): DrivenStream<Req, Res> {
  const requests = new Channel<Req>();
  const abort = new AbortController();
  const context = { requestHeader: new Headers(), signal: abort.signal } as unknown as HandlerContext;
  const responses: Res[] = [];
  const afterCancel: Res[] = [];
  const outcome = { done: false, error: undefined as unknown };
  let cancelled = false;
  const consume = (async () => {
    try {
      for await (const response of handler(requests, context)) {
        if (cancelled) afterCancel.push(response);
        else {
          responses.push(response);
          onResponse?.(response);
        }
      }
    } catch (error) {
      outcome.error = error;
    } finally {
      outcome.done = true;
    }
  })();
  void consume;
  return {
    requests,
    responses,
    afterCancel,
    outcome,
    cancel() {
      cancelled = true;
      abort.abort();
    },
    get cancelled() {
      return cancelled;
    },
    // Request → watch → respond → queue → yield is all microtasks: one macrotask turn drains it.
    async settle() {
      await tick();
    },
  };
}
