import { observe } from "./call-hook.js";
import type { StreamInfo } from "./callbacks.js";
import { ResponseQueue } from "./response-queue.js";
import { ServerError, statusOf } from "./server-error.js";
import type { ResolvedServerOptions } from "./server-options.js";
import { StreamState, type StreamInit } from "./stream-state.js";
import type { TypeState } from "./type-state.js";

/** What differs between a SotW and a delta stream; {@link runStream} does the rest. */
export interface StreamProtocol<Request, Answer, T> {
  /** Log message when the stream fails, e.g. "xds stream failed". */
  readonly failureMessage: string;
  /** The open callback (`onStreamOpen` / `onDeltaStreamOpen`); a rejection refuses the stream. */
  readonly onOpen: ((stream: StreamInfo) => void | Promise<void>) | undefined;
  /** The closed callback, with its name for the log when it fails. */
  readonly onClosed: { readonly name: string; readonly hook: ((stream: StreamInfo) => void | Promise<void>) | undefined };
  /** Applies one request: subscriptions, ACK/NACK, the type's watch (whose answers go to `queue`). */
  handle(stream: StreamState, queue: ResponseQueue<Answer>, request: Request): Promise<void>;
  /** Records `answer` as sent under `nonce`, runs the response callback, and returns what to write. */
  send(stream: StreamState, state: TypeState, answer: Answer, nonce: string): Promise<T>;
}

/**
 * One xDS stream, independent of transport and protocol: reads `requests`
 * while answers are written, one at a time and only when the consumer asks
 * for the next, so a consumer that awaits its transport's backpressure keeps
 * at most one unsent answer per type. Ends when the requests end or
 * `init.signal` aborts; server shutdown fails it with `shutdown`; throws what
 * failed (map it with `statusOf`).
 */
export async function* runStream<Request, Answer, T>(
  options: ResolvedServerOptions,
  requests: AsyncIterable<Request>,
  init: StreamInit,
  protocol: StreamProtocol<Request, Answer, T>,
): AsyncGenerator<T, void, undefined> {
  const { logger, shutdownSignal } = options;
  const stream = new StreamState(init, options);
  const queue = new ResponseQueue<Answer>(options.ordered);
  const onClientGone = () => queue.end();
  const onShutdown = () => queue.fail(new ServerError("shutdown", "the xDS server is shutting down: reconnect"));
  let opened = false;
  let slot = false;
  try {
    if (shutdownSignal?.aborted) onShutdown();
    shutdownSignal?.addEventListener("abort", onShutdown);
    if (init.signal.aborted) onClientGone();
    init.signal.addEventListener("abort", onClientGone);
    slot = options.streamSlots.tryAcquire();
    if (!slot) {
      throw new ServerError(
        "limit-exceeded",
        `the xDS server has ${options.streamSlots.limit} streams open, its limit (maxStreams): try again later`,
      );
    }
    await protocol.onOpen?.(stream);
    opened = true;
    const pump = async () => {
      const iterator = requests[Symbol.asyncIterator]();
      for (;;) {
        const step = await iterator.next();
        if (step.done === true || stream.closed) return;
        await protocol.handle(stream, queue, step.value);
      }
    };
    pump().then(
      () => queue.end(),
      (error: unknown) => queue.fail(error),
    );
    for (;;) {
      const next = await queue.take();
      if (next === undefined) return;
      const [responseType, answer] = next;
      const state = stream.types.get(responseType);
      if (state === undefined) continue;
      yield await protocol.send(stream, state, answer, stream.nextNonce());
    }
  } catch (error) {
    const { status, message } = statusOf(error);
    logger.debug(protocol.failureMessage, { streamId: stream.id, code: status, message });
    throw error;
  } finally {
    shutdownSignal?.removeEventListener("abort", onShutdown);
    init.signal.removeEventListener("abort", onClientGone);
    stream.close();
    queue.end();
    if (slot) options.streamSlots.release();
    const { name, hook } = protocol.onClosed;
    if (opened && hook !== undefined) await observe(logger, name, () => hook(stream));
  }
}
