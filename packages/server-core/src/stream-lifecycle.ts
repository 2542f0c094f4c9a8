import { CacheError, type CachedResource, type Cancel } from "@xdskit/cache-core";
import { observe } from "./call-hook.js";
import { GrpcStatus } from "./grpc-status.js";
import { type MaybePromise, nextByPolling, type StreamInit } from "./protocol-stream.js";
import { ResponseQueue } from "./response-queue.js";
import type { ServerContextState, TrackedStream } from "./server-context.js";
import { ServerError, statusOf } from "./server-error.js";
import type { RejectionReason } from "./server-telemetry.js";
import { StreamState } from "./stream-state.js";
import type { TypeStreamState } from "./type-stream-state.js";

const MAX_UNKNOWN_TYPES_LOGGED = 16;

/**
 * What every protocol stream does the same way, whatever the protocol: its
 * place under `maxStreams`, `onStreamOpen` / `onStreamClosed`, shutdown,
 * the client going away, and the queue of cache answers (at most one unsent
 * per type). A SotW or delta stream composes one and adds how requests are
 * handled and answers recorded and encoded.
 */
export class StreamLifecycle<Answer> implements TrackedStream {
  /** The state of the stream: node, types, client status. */
  readonly stream: StreamState;
  readonly #context: ServerContextState;
  readonly #answers: ResponseQueue<Answer>;
  readonly #signal: AbortSignal;
  readonly #onClientGone: () => void;
  #admitted = false;
  #opened = false;
  #closing: Promise<void> | undefined;
  // Unknown type URLs already logged at warn (a client can send any number: capped).
  readonly #unknownTypes = new Set<string>();

  constructor(context: ServerContextState, protocol: "sotw" | "delta", init: StreamInit) {
    this.#context = context;
    this.stream = new StreamState(
      {
        protocol,
        typeUrl: init.typeUrl,
        // Read when a callback asks (a transport may build the headers lazily).
        get requestHeader() {
          return init.requestHeader;
        },
        peer: init.peer,
        signal: init.signal,
      },
      context.options,
      context.telemetry,
    );
    this.#answers = new ResponseQueue<Answer>(context.options.ordered, context.turns);
    this.#signal = init.signal;
    this.#onClientGone = () => this.#answers.end();
    if (init.signal.aborted) this.#answers.end();
    else init.signal.addEventListener("abort", this.#onClientGone, { once: true });
  }

  /**
   * Takes a place under `maxStreams` and runs `onStreamOpen`.
   *
   * @throws {ServerError} `limit-exceeded` or `shutdown`; whatever `onStreamOpen` throws.
   */
  async open(): Promise<void> {
    this.#context.admit(this);
    this.#admitted = true;
    this.stream.telemetry.revision += 1;
    await this.#context.options.callbacks.onStreamOpen?.(this.stream);
    this.#opened = true;
  }

  /** Whether {@link StreamLifecycle.close} was called: no watch may be opened any more. */
  get closed(): boolean {
    return this.stream.closed;
  }

  /** Queues a cache answer for its type, replacing an unsent one: the `respond` of the type's watch. */
  answer(typeUrl: string, answer: Answer): void {
    const state = this.stream.types.get(typeUrl);
    if (state !== undefined) state.answeredAt = performance.now();
    this.#answers.put(typeUrl, answer);
  }

  /**
   * Records a response as handed to the transport, for the client status and
   * metrics: its resources, and its size when it was encoded here (else 0).
   */
  sent(state: TypeStreamState, resources: readonly CachedResource[], bytes: number): void {
    const now = performance.now();
    state.sentAt = now;
    state.sentAnsweredAt = state.answeredAt;
    state.lastResources = resources;
    this.stream.telemetry.responseSent(state.counters, resources.length, bytes, (now - state.answeredAt) / 1000);
  }

  /**
   * Opens the watch of a type with `create`. A cache that does not serve the
   * type (a `CacheError` `unknown-type`) costs only that type, not the stream:
   * the request is logged (warn, once per type and stream) and ignored, and
   * the type forgotten, so a later request of it asks the cache again. The
   * xDS protocol has no answer for a type the server does not serve (a
   * response would have to claim a state of it); the client treats the type
   * as it treats one the server has nothing for, after its initial fetch
   * timeout, and every other type keeps being served.
   *
   * @throws whatever else `create` throws.
   */
  watch(state: TypeStreamState, create: () => Cancel | undefined): void {
    try {
      state.setWatch(create());
    } catch (error) {
      if (!(error instanceof CacheError && error.code === "unknown-type")) throw error;
      const stream = this.stream;
      const typeUrl = state.typeUrl;
      stream.types.delete(typeUrl);
      stream.forgetNames(typeUrl);
      stream.telemetry.revision += 1;
      const fields = { streamId: stream.id, protocol: stream.protocol, node: stream.node?.id, typeUrl, message: error.message };
      const logger = this.#context.options.logger;
      if (this.#unknownTypes.has(typeUrl) || this.#unknownTypes.size >= MAX_UNKNOWN_TYPES_LOGGED) logger.debug("xds request of an unknown type ignored", fields);
      else {
        this.#unknownTypes.add(typeUrl);
        logger.warn("xds request of an unknown type ignored; the stream's other types carry on", fields);
      }
    }
  }

  /** Drops the unsent answer of a type (its watch is being replaced). */
  dropAnswer(typeUrl: string): void {
    this.#answers.drop(typeUrl);
  }

  /**
   * The next cache answer with the state of its type: itself when one is
   * ready, else a promise that waits for one. `undefined` once the stream
   * ended; throws (or rejects) once it failed.
   */
  nextAnswer(): MaybePromise<readonly [TypeStreamState, Answer] | undefined> {
    // An answer ready now is returned as it is; only waiting costs a promise.
    return nextByPolling(this.#pollAnswer);
  }

  /**
   * {@link StreamLifecycle.nextAnswer} without the wait: the answer when one
   * is ready, `undefined` once the stream ended, else `null` and `wake` is
   * called once when asking again may give one. Throws once it failed.
   */
  pollAnswer(wake: () => void): readonly [TypeStreamState, Answer] | undefined | null {
    for (;;) {
      const next = this.#answers.poll();
      if (next === null) {
        this.#answers.wait(wake);
        return null;
      }
      if (next === undefined) return undefined;
      const state = this.stream.types.get(next[0]);
      if (state !== undefined) return [state, next[1]];
    }
  }

  readonly #pollAnswer = (wake: () => void) => this.pollAnswer(wake);

  /** Ends the stream with `error`: the waiting and later {@link StreamLifecycle.nextAnswer} calls reject with it. */
  fail(error: unknown): void {
    this.#answers.fail(error);
  }

  /** Ends the stream because the server shuts down: as {@link StreamLifecycle.fail}. */
  shutdown(error: ServerError): void {
    this.fail(error);
  }

  /** Cancels every watch, gives back the stream's place and runs `onStreamClosed` once; idempotent. */
  close(reason?: unknown): Promise<void> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  async #close(reason: unknown): Promise<void> {
    const { callbacks, logger } = this.#context.options;
    this.#signal.removeEventListener("abort", this.#onClientGone);
    this.stream.close();
    this.#answers.end();
    if (this.#admitted) this.#context.release(this);
    this.stream.telemetry.revision += 1;
    const { id: streamId, protocol } = this.stream;
    if (reason === undefined || isShutdown(reason)) {
      // A deliberate end (the client cancelled or half-closed, the server is closing) is not a failure.
      logger.debug("xds stream closed", { streamId, protocol, reason: reason === undefined ? "client" : "server shutdown" });
    } else {
      const rejection = rejectionOf(reason);
      if (rejection !== undefined) this.stream.telemetry.rejected(rejection);
      const { status, message } = statusOf(reason);
      logger.debug("xds stream failed", { streamId, protocol, code: status, message });
    }
    const hook = callbacks.onStreamClosed;
    if (this.#opened && hook !== undefined) await observe(logger, "onStreamClosed", () => hook(this.stream));
  }
}

function isShutdown(reason: unknown): boolean {
  return reason instanceof ServerError && reason.code === "shutdown";
}

// What the rejections metric calls the error a stream ended with; `undefined`
// for endings that are not the server refusing the client (shutdown, internal).
function rejectionOf(error: unknown): RejectionReason | undefined {
  if (error instanceof ServerError) {
    switch (error.code) {
      case "limit-exceeded":
        return "limit";
      case "identity-mismatch":
        return "identity";
      case "refused":
        return "refused";
      case "invalid-request":
      case "missing-node":
      case "missing-type-url":
      case "type-url-mismatch":
        return "bad-input";
      default:
        return undefined;
    }
  }
  switch (statusOf(error).status) {
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return "limit";
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.UNAUTHENTICATED:
      return "refused";
    case GrpcStatus.INVALID_ARGUMENT:
      return "bad-input";
    default:
      return undefined;
  }
}
