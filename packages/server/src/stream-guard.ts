import type { StreamInfo } from "@xdskit/server-core";
import { GrpcStatus, ServerError } from "@xdskit/server-core";
import { isPromise, type MaybePromise, nextByPolling, type ProtocolStream, type ResponseChunks, type StreamInit } from "@xdskit/server-core/internal";
import { peerKey } from "./peer-key.js";

/** The per-stream guards of `createXdsServer`: every transport's streams go through them. */
export interface StreamGuardOptions {
  /**
   * How long a stream may stay open without sending its first request; it
   * then ends with DEADLINE_EXCEEDED ("no first request within … ms
   * (firstRequestTimeoutMs)") and gives back its place. Envoy sends its
   * first request at once. `Infinity` turns it off. Default: 5,000 ms.
   */
  readonly firstRequestTimeoutMs?: number | undefined;
  /**
   * The most streams one peer may have open (identified or not), so that no
   * peer takes the whole `maxStreams`. A peer is its verified client
   * certificate's first identity under mTLS, else its IP address. Over it, a
   * new stream ends with RESOURCE_EXHAUSTED. Default: 5,000 (half of the
   * default `maxStreams`; a lower `maxStreams` binds first).
   */
  readonly maxStreamsPerPeer?: number | undefined;
  /**
   * The most streams one peer may have open that have not sent their first
   * request yet (not identified by a node): the smaller budget a client that
   * opens streams and stays silent runs into. Over it, a new stream ends with
   * RESOURCE_EXHAUSTED. A proxy opens one stream per type at most (non-ADS),
   * each sending its request at once. Default: 1,000.
   */
  readonly maxUnidentifiedStreamsPerPeer?: number | undefined;
}

/** Defaults of {@link StreamGuardOptions}. */
export const DEFAULT_STREAM_GUARDS = Object.freeze({
  firstRequestTimeoutMs: 5_000,
  maxStreamsPerPeer: 5_000,
  maxUnidentifiedStreamsPerPeer: 1_000,
} as const);

interface PeerCount {
  streams: number;
  unidentified: number;
}

/** Counts each peer's streams against its budgets and arms first-request deadlines. */
export class StreamGuard {
  readonly #peers = new Map<string, PeerCount>();
  readonly #firstRequestMs: number;
  readonly #maxStreams: number;
  readonly #maxUnidentified: number;

  constructor(options: StreamGuardOptions) {
    this.#firstRequestMs = options.firstRequestTimeoutMs ?? DEFAULT_STREAM_GUARDS.firstRequestTimeoutMs;
    this.#maxStreams = options.maxStreamsPerPeer ?? DEFAULT_STREAM_GUARDS.maxStreamsPerPeer;
    this.#maxUnidentified = options.maxUnidentifiedStreamsPerPeer ?? DEFAULT_STREAM_GUARDS.maxUnidentifiedStreamsPerPeer;
  }

  /** `stream` with the guards of its peer. */
  wrap<Request, Response>(stream: ProtocolStream<Request, Response>, init: StreamInit): GuardedStream<Request, Response> {
    return new GuardedStream(stream, this, peerKey(init.peer));
  }

  /** Streams open now per peer (for tests and diagnostics). */
  peerStreams(key: string): { readonly streams: number; readonly unidentified: number } {
    return this.#peers.get(key) ?? { streams: 0, unidentified: 0 };
  }

  /** @internal */
  admit(key: string): void {
    const count = this.#peers.get(key) ?? { streams: 0, unidentified: 0 };
    if (count.streams >= this.#maxStreams) {
      throw new ServerError("limit-exceeded", `this peer has ${count.streams} streams open, its limit (maxStreamsPerPeer): try again later`);
    }
    if (count.unidentified >= this.#maxUnidentified) {
      throw new ServerError(
        "limit-exceeded",
        `this peer has ${count.unidentified} streams open that sent no request yet, its limit (maxUnidentifiedStreamsPerPeer): try again later`,
      );
    }
    count.streams += 1;
    count.unidentified += 1;
    this.#peers.set(key, count);
  }

  /** @internal */
  identified(key: string): void {
    const count = this.#peers.get(key);
    if (count !== undefined) count.unidentified -= 1;
  }

  /** @internal */
  release(key: string, identified: boolean): void {
    const count = this.#peers.get(key);
    if (count === undefined) return;
    count.streams -= 1;
    if (!identified) count.unidentified -= 1;
    if (count.streams <= 0) this.#peers.delete(key);
  }

  /** @internal */
  get firstRequestMs(): number {
    return this.#firstRequestMs;
  }
}

/**
 * A protocol stream under its peer's budgets and first-request deadline,
 * which the transport can also end with an error ({@link end}: a connection
 * that reached its maximum age).
 */
export class GuardedStream<Request, Response> implements ProtocolStream<Request, Response> {
  readonly #inner: ProtocolStream<Request, Response>;
  readonly #guard: StreamGuard;
  readonly #key: string;
  #admitted = false;
  #identified = false;
  #deadline: NodeJS.Timeout | undefined;
  #endedWith: { readonly error: unknown } | undefined;

  constructor(inner: ProtocolStream<Request, Response>, guard: StreamGuard, key: string) {
    this.#inner = inner;
    this.#guard = guard;
    this.#key = key;
  }

  get info(): StreamInfo {
    return this.#inner.info;
  }

  async open(): Promise<void> {
    this.#guard.admit(this.#key);
    this.#admitted = true;
    const ms = this.#guard.firstRequestMs;
    if (Number.isFinite(ms)) {
      this.#deadline = setTimeout(() => this.end(firstRequestMissing(ms)), ms);
      this.#deadline.unref();
    }
    await this.#inner.open();
  }

  receive(request: Request): MaybePromise<void> {
    if (!this.#identified) {
      this.#identified = true;
      clearTimeout(this.#deadline);
      if (this.#admitted) this.#guard.identified(this.#key);
    }
    return this.#inner.receive(request);
  }

  next(): MaybePromise<ResponseChunks | undefined> {
    return nextByPolling((wake) => this.poll(wake));
  }

  poll(wake: () => void): MaybePromise<ResponseChunks | undefined> | null {
    const response = this.#inner.poll(wake);
    if (response === null) return null;
    if (isPromise(response)) return response.then((ready) => this.#orEnded(ready));
    return this.#orEnded(response);
  }

  nextMessage(): Promise<Response | undefined> {
    return this.#inner.nextMessage().then((response) => this.#orEnded(response));
  }

  /** Ends the stream with `error`: the waiting `next()` rejects with it, so the transport answers its status. Idempotent. */
  end(error: unknown): void {
    if (this.#endedWith !== undefined) return;
    this.#endedWith = { error };
    void this.#inner.close(error);
  }

  close(reason?: unknown): Promise<void> {
    clearTimeout(this.#deadline);
    if (this.#admitted) {
      this.#admitted = false;
      this.#guard.release(this.#key, this.#identified);
    }
    return this.#inner.close(reason ?? this.#endedWith?.error);
  }

  #orEnded<T>(response: T | undefined): T | undefined {
    if (response === undefined && this.#endedWith !== undefined) throw this.#endedWith.error;
    return response;
  }
}

function firstRequestMissing(ms: number): ServerError {
  return new ServerError("limit-exceeded", `no first request within ${ms} ms of opening the stream (firstRequestTimeoutMs): closing it`, {
    status: GrpcStatus.DEADLINE_EXCEEDED,
  });
}
