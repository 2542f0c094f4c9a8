// Drives the transport-free SotW / delta protocol streams of @xdskit/server-sotw and
// @xdskit/server-delta directly, as a transport does (the steps of @xdskit/server's driver:
// open, feed requests while pulling responses one at a time, close): requests go in through a
// Connect writable iterable, responses come out encoded (the bytes the gRPC transports write)
// and are decoded here. Fast enough for 100,000 sequences.
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type { ProtocolStream, ResponseChunks, StreamInit } from "@xdskit/server-core/internal";
import { setImmediate as tick } from "node:timers/promises";

/** The requests of a driven stream; `end()` is the client's half-close. */
export interface Requests<T> {
  push(item: T): void;
  end(): void;
}

export interface DrivenStream<Req, Res> {
  readonly requests: Requests<Req>;
  /** Responses received so far, in order. */
  readonly responses: Res[];
  /** Responses received after `cancel()`. */
  readonly afterCancel: Res[];
  /** Set once the stream ended: `error` is `undefined` for a clean end, else what ended it. */
  readonly outcome: { done: boolean; error: unknown };
  /** The client goes away (the transport aborts the stream's signal). */
  cancel(): void;
  readonly cancelled: boolean;
  /** Lets the stream and the cache run until nothing is pending (one macrotask turn). */
  settle(): Promise<void>;
}

/** A transport in miniature: resolves when the stream ended cleanly, rejects with what ended it otherwise. */
async function serve<Req>(stream: ProtocolStream<Req, unknown>, requests: AsyncIterable<Req>, write: (chunks: ResponseChunks) => void): Promise<void> {
  let failure: { error: unknown } | undefined;
  try {
    await stream.open();
    (async () => {
      for await (const request of requests) await stream.receive(request);
    })().then(
      () => stream.close(),
      (error: unknown) => {
        failure ??= { error };
        return stream.close(error);
      },
    );
    for (;;) {
      const chunks = await stream.next();
      if (chunks === undefined) break;
      write(chunks);
    }
  } catch (error) {
    failure ??= { error };
  }
  await stream.close(failure?.error);
  if (failure !== undefined) throw failure.error;
}

export function drive<Req, Res>(
  open: (init: StreamInit) => ProtocolStream<Req, unknown>,
  decode: (bytes: Uint8Array) => Res,
  onResponse?: (response: Res) => void,
): DrivenStream<Req, Res> {
  const written = createWritableIterable<Req>();
  const abort = new AbortController();
  const stream = open({ typeUrl: "", requestHeader: new Headers(), peer: undefined, signal: abort.signal });
  const responses: Res[] = [];
  const afterCancel: Res[] = [];
  const outcome = { done: false, error: undefined as unknown };
  let cancelled = false;
  serve(stream, written, (chunks) => {
    const response = decode(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks));
    if (cancelled) afterCancel.push(response);
    else {
      responses.push(response);
      onResponse?.(response);
    }
  }).then(
    () => {
      outcome.done = true;
    },
    (error: unknown) => {
      outcome.error = error;
      outcome.done = true;
    },
  );
  return {
    requests: {
      // A write resolves once the stream took the request; one after the stream ended rejects: ignored,
      // as a client's send to an ended stream is.
      push: (item) => void written.write(item).catch(() => {}),
      end: () => written.close(),
    },
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
    // Request → watch → respond → queue → next() → write is all microtasks: one macrotask turn drains it.
    async settle() {
      await tick();
    },
  };
}
