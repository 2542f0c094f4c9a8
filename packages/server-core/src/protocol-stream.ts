import type { PeerInfo, StreamInfo } from "./callbacks.js";

/** What a transport knows when a stream opens. */
export interface StreamInit {
  /** The type URL of a per-type service (such as StreamClusters), or `""` for ADS. */
  readonly typeUrl: string;
  /**
   * The request headers (no HTTP/2 pseudo-headers): where authorization
   * tokens are. Read only when a callback reads `StreamInfo.requestHeader`,
   * so a transport may make it a getter that builds them then.
   */
  readonly requestHeader: Headers;
  /** The transport peer, when the transport can tell. */
  readonly peer: PeerInfo | undefined;
  /** Aborted when the client went away: the stream then ends quietly. */
  readonly signal: AbortSignal;
  /**
   * Zero bytes {@link ProtocolStream.next} leaves in front of every encoded
   * response, for the transport to write its frame header in place (gRPC's
   * 5-byte prefix) instead of copying. Default: 0.
   */
  readonly headroom?: number | undefined;
}

/**
 * One encoded response: after the `headroom` bytes at the start of the
 * first chunk, the chunks concatenated are the protobuf message. Written in
 * order (with `writev` where the transport has it), they need no copy. The
 * first chunk is the stream's own (a transport may write its frame header
 * into the headroom); later ones may be shared by every stream sent the same
 * answer: never change them.
 */
export type ResponseChunks = readonly Uint8Array[];

/**
 * A value now, or a promise of it later. The per-response and per-request
 * steps of a stream return the value itself when they could finish at once
 * (the common case: no asynchronous callback, an answer already queued), so
 * a busy server does not pay a promise and a microtask turn per message.
 * `await` takes either.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Whether a {@link MaybePromise} is the promise. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** The chunks of a response as one buffer (the first chunk itself when there is one). */
export function joinChunks(chunks: ResponseChunks): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * One xDS stream as a protocol (`@xdskit/server-sotw`, `@xdskit/server-delta`)
 * serves it, pulled by a transport: decoded requests in, encoded responses
 * out. Nothing here calls back into the transport (`serveStream` of
 * `@xdskit/server` drives one for every transport there).
 *
 * - `open()` first: takes a place under `maxStreams` and runs `onStreamOpen`;
 *   throws (a `ServerError`, or what the callback threw) to refuse the stream.
 * - `receive(request)` for each request, one at a time (after the previous
 *   one settled): classifies it, runs the callbacks and replaces the type's
 *   watch on the cache. Rejects to end the stream; `next()` then rejects
 *   with the same error.
 * - `next()` waits for the next cache answer and returns it encoded, with a
 *   fresh nonce, recorded as sent; `nextMessage()` returns it as a message
 *   instead, for transports that serialize themselves. `undefined` once the
 *   stream ended (closed, or the client went away); rejects with a
 *   `ServerError` "shutdown" when the server shuts down. Ask for the next
 *   response only once the previous one is written: a stream holds at most
 *   one unsent answer per type.
 * - `poll(wake)` is `next()` without the wait: the response when one is
 *   ready (a promise only while an asynchronous response callback runs),
 *   else `null`, and `wake` is called once, later, when asking again may
 *   give one (an answer came, the stream ended or failed). Throws what
 *   `next()` rejects with. A transport that writes many streams uses it to
 *   wait on one promise of its own per response instead of a chain.
 * - `close(reason?)` last, however the stream ended: cancels every watch,
 *   gives back its place and runs `onStreamClosed` once (when it opened).
 *   Idempotent; `reason` is what ended it, for the log.
 */
export interface ProtocolStream<Request, Response> {
  /** The stream as callbacks see it. */
  readonly info: StreamInfo;
  /** Takes a place under `maxStreams` and runs `onStreamOpen` (see above). */
  open(): Promise<void>;
  /** Handles one request of the client (see above); returns a promise only when it could not finish at once. */
  receive(request: Request): MaybePromise<void>;
  /** The next response, encoded (see above); not a promise when one was ready. */
  next(): MaybePromise<ResponseChunks | undefined>;
  /** The next response if one is ready, else `null` and `wake` is called once when it may be (see above). */
  poll(wake: () => void): MaybePromise<ResponseChunks | undefined> | null;
  /** The next response as a message, for transports that serialize themselves (see above). */
  nextMessage(): Promise<Response | undefined>;
  /** Ends the stream, however it ended (see above). */
  close(reason?: unknown): Promise<void>;
}

/**
 * `next()` made of `poll()`: the response now when one is ready, else a
 * promise of the next one (polled again after each wake). A failure rejects,
 * as `next()` does.
 */
export function nextByPolling<T>(poll: (wake: () => void) => MaybePromise<T> | null): MaybePromise<T> {
  let woke = false;
  let woken: (() => void) | undefined;
  let now: MaybePromise<T> | null;
  try {
    now = poll(() => {
      woke = true;
      woken?.();
    });
  } catch (error) {
    return Promise.reject(error);
  }
  if (now !== null) return now;
  return new Promise<void>((resolve) => {
    woken = resolve;
    if (woke) resolve();
  }).then(() => nextByPolling(poll));
}
