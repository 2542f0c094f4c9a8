import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from "node:http2";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { GrpcStatus, ServerError } from "@xdskit/server-core";
import { type MaybePromise, type ProtocolStream, type StreamInit, statusOf, type WireStatus } from "@xdskit/server-core/internal";
import { decodeRequest } from "./discovery-request-reader.js";
import { fillGrpcPrefix, GRPC_PREFIX_BYTES } from "./grpc-frame.js";
import { GrpcMessageSplitter } from "./grpc-message-reader.js";
import { whenDeadlinePasses } from "./grpc-timeout.js";
import { grpcTrailers } from "./grpc-trailers.js";
import { peerOfRequest } from "./peer-info.js";
import { type PushedRequests, serveStream } from "./serve-stream.js";
import { calmDown, markSent } from "./connection-guard.js";
import { type EndableStream, trackOnSession } from "./session-streams.js";
import { WriteStallWatch } from "./write-stall-watch.js";
import { endStreamSignal } from "./stream-over.js";

/** What one fast-path method needs: how to open its protocol stream, and its request schema. */
export interface GrpcStreamMethod<I extends DescMessage> {
  /** The type URL of a per-type method, `""` on ADS. */
  readonly typeUrl: string;
  readonly input: I;
  readonly open: (init: StreamInit) => ProtocolStream<MessageShape<I>, unknown> & EndableStream;
}

/** How the fast path serves each stream. */
export interface GrpcStreamOptions {
  /** The largest request message accepted, in bytes. */
  readonly readMaxBytes: number;
  /** How long a written response may wait for the client's flow-control window before the connection is closed. */
  readonly writeStallTimeoutMs: number;
}

const OK: WireStatus = { status: GrpcStatus.OK, message: "" };

// Web Headers, built on first read: the first `Headers` of a process loads node's fetch
// implementation (undici: 60-250 ms of compilation on this project's 2-core machine), and most
// streams' headers are never read by a callback.
function lazyHeaders(raw: Http2ServerRequest["headers"]): () => Headers {
  let headers: Headers | undefined;
  return () => {
    headers ??= headersOf(raw);
    return headers;
  };
}

function headersOf(raw: Http2ServerRequest["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.append(name, String(value));
  }
  return headers;
}

// Resolves when the stream can take more, or is gone.
function writable(stream: ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.closed) {
      resolve();
      return;
    }
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** Decoded requests a stream keeps before it stops reading from the client (HTTP/2 flow control then holds the client back). */
const MAX_QUEUED_REQUESTS = 16;

/**
 * The requests of one gRPC stream, read straight from the HTTP/2 stream (not
 * through the compatibility request, whose second stream buffer and async
 * generators cost more than decoding an ACK): each message is decoded as
 * soon as its last byte arrives and handed to the protocol stream there and
 * then when it is idle (no promise per request), else queued in order.
 * Ends when the client half-closes; ends quietly when the client reset the
 * stream (it is gone, not failing); fails with what failed otherwise (after
 * the requests decoded before it).
 */
class GrpcRequests<I extends DescMessage> implements PushedRequests<MessageShape<I>> {
  readonly #stream: ServerHttp2Stream;
  readonly #schema: I;
  readonly #splitter: GrpcMessageSplitter;
  readonly #gone: () => boolean;
  #queue: MessageShape<I>[] = [];
  #head = 0;
  #paused = false;
  #ended = false;
  #failure: { readonly error: unknown } | undefined;
  #receive: ((request: MessageShape<I>) => MaybePromise<void>) | undefined;
  // A request's receive returned a promise that has not settled yet.
  #busy = false;
  #settle: { readonly resolve: () => void; readonly reject: (error: unknown) => void } | undefined;

  constructor(stream: ServerHttp2Stream, schema: I, maxBytes: number, gone: () => boolean) {
    this.#stream = stream;
    this.#schema = schema;
    this.#splitter = new GrpcMessageSplitter(maxBytes);
    this.#gone = gone;
    stream.on("data", this.#onData);
    // on, not once: each of these comes once on an HTTP/2 stream (a second "error" is handled too),
    // and once() would wrap each listener in another closure (~180 B, for the stream's life).
    stream.on("end", this.#onEnd);
    stream.on("close", this.#onClose);
    stream.on("error", this.#fail);
  }

  drive(receive: (request: MessageShape<I>) => MaybePromise<void>): Promise<void> {
    this.#receive = receive;
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#drain();
    });
  }

  readonly #onData = (chunk: Uint8Array): void => {
    try {
      this.#splitter.push(chunk, this.#onMessage);
    } catch (error) {
      this.#fail(error);
    }
  };

  readonly #onMessage = (bytes: Uint8Array): void => {
    if (this.#ended) return;
    let message: MessageShape<I>;
    try {
      message = decodeRequest(this.#schema, bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ServerError("invalid-request", `malformed ${this.#schema.name}: parse binary: ${reason}`, { cause: error });
    }
    if (this.#settle !== undefined && !this.#busy && this.#head === this.#queue.length) {
      this.#deliver(message);
      return;
    }
    this.#queue.push(message);
    if (!this.#paused && this.#queue.length - this.#head >= MAX_QUEUED_REQUESTS) {
      this.#paused = true;
      this.#stream.pause();
    }
  };

  readonly #onEnd = (): void => {
    try {
      this.#splitter.end();
      this.#end(undefined);
    } catch (error) {
      this.#fail(error);
    }
  };

  // Closed without an end: reset by the client, or destroyed under us.
  readonly #onClose = (): void => this.#end(undefined);

  readonly #fail = (error: unknown): void => this.#end({ error });

  // Hands one request to the stream; a promise makes the next ones wait for it.
  #deliver(message: MessageShape<I>): void {
    let received: MaybePromise<void>;
    try {
      received = (this.#receive as (request: MessageShape<I>) => MaybePromise<void>)(message);
    } catch (error) {
      this.#abort(error);
      return;
    }
    if (received === undefined) return;
    this.#busy = true;
    received.then(
      () => {
        this.#busy = false;
        this.#drain();
      },
      (error: unknown) => {
        this.#busy = false;
        this.#abort(error);
      },
    );
  }

  // Delivers what is queued while the stream takes requests synchronously; settles once all is delivered after the end.
  #drain(): void {
    while (this.#settle !== undefined && !this.#busy && this.#head < this.#queue.length) this.#deliver(this.#take());
    if (this.#ended && !this.#busy && this.#head === this.#queue.length) this.#finish();
  }

  #end(failure: { readonly error: unknown } | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    this.#unlisten();
    this.#drain();
  }

  // The stream refused a request: nothing more is read or delivered.
  #abort(error: unknown): void {
    this.#ended = true;
    this.#unlisten();
    this.#queue = [];
    this.#head = 0;
    this.#failure = undefined;
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.reject(error);
  }

  #unlisten(): void {
    const stream = this.#stream;
    stream.off("data", this.#onData);
    stream.off("end", this.#onEnd);
    stream.off("close", this.#onClose);
    stream.off("error", this.#fail);
  }

  #take(): MessageShape<I> {
    const message = this.#queue[this.#head] as MessageShape<I>;
    this.#head += 1;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (this.#paused && this.#queue.length - this.#head < MAX_QUEUED_REQUESTS / 2 && !this.#ended) {
      this.#paused = false;
      this.#stream.resume();
    }
    return message;
  }

  // A client that reset the stream is gone, not failing: its requests end quietly.
  #finish(): void {
    const settle = this.#settle;
    if (settle === undefined) return;
    this.#settle = undefined;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined && !this.#gone()) settle.reject(failure.error);
    else settle.resolve();
  }
}

/**
 * Serves one gRPC bidi stream of an xDS method on a node HTTP/2 request:
 * reads Length-Prefixed-Messages into the protocol stream, writes each
 * response as a frame assembled in place (waiting for 'drain' when the
 * stream is full, so the protocol is never asked for more than the client
 * takes), and ends with `grpc-status` / `grpc-message` trailers. A client
 * that resets the stream ends it quietly (the protocol sees `signal` abort).
 */
export async function serveGrpcStream<I extends DescMessage>(
  method: GrpcStreamMethod<I>,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  options: GrpcStreamOptions,
): Promise<void> {
  const stream = request.stream;
  const abort = new AbortController();
  const onGone = () => endStreamSignal(abort);
  stream.on("close", onGone);
  stream.on("aborted", onGone);
  // The client reset or the stream closed: nothing more can be written.
  const gone = () => abort.signal.aborted || stream.destroyed || stream.closed;
  const requestType = request.headers["content-type"];
  const contentType = requestType === "application/grpc+proto" ? requestType : "application/grpc";
  const requestHeader = lazyHeaders(request.headers);
  const protocolStream = method.open({
    typeUrl: method.typeUrl,
    get requestHeader() {
      return requestHeader();
    },
    peer: peerOfRequest(request),
    signal: abort.signal,
    headroom: GRPC_PREFIX_BYTES,
  });
  const untrack = trackOnSession(stream.session ?? stream, protocolStream);
  // A client that leaves its window shut (zero window forever) while answers wait loses its connection.
  const stall = new WriteStallWatch(options.writeStallTimeoutMs, () => {
    if (stream.session !== undefined) calmDown(stream.session, "write_stalled");
    else stream.destroy();
  });
  let status = OK;
  let failure: unknown;
  // The client's deadline (grpc-timeout) ends the stream as Connect and
  // grpc-js end theirs: DEADLINE_EXCEEDED, its watches and place given back.
  let expired: ServerError | undefined;
  const stopDeadline = whenDeadlinePasses(String(request.headers["grpc-timeout"] ?? ""), () => {
    expired = new ServerError("deadline-exceeded", "the client's deadline (grpc-timeout) passed");
    void protocolStream.close(expired);
  });
  try {
    await serveStream(protocolStream, new GrpcRequests(stream, method.input, options.readMaxBytes, gone), (chunks) => {
      if (gone()) return undefined;
      if (!stream.headersSent) response.writeHead(200, { "content-type": contentType });
      if (stream.session !== undefined) markSent(stream.session);
      let room = true;
      const filled = fillGrpcPrefix(chunks);
      const last = filled.length - 1;
      // Several chunks (a head, a body shared with other streams, a tail) go out in one writev.
      const corked = last > 0;
      if (corked) stream.cork();
      for (let i = 0; i < last; i += 1) room = stream.write(filled[i] as Uint8Array);
      room = stream.write(filled[last] as Uint8Array, stall.started());
      if (corked) stream.uncork();
      return room ? undefined : writable(stream);
    });
  } catch (error) {
    status = statusOf(error);
    failure = error;
  }
  untrack();
  stall.stop();
  stopDeadline();
  if (expired !== undefined && failure === undefined) {
    status = statusOf(expired);
    failure = expired;
  }
  stream.off("close", onGone);
  stream.off("aborted", onGone);
  if (!gone()) {
    if (!stream.headersSent) response.writeHead(200, { "content-type": contentType });
    response.addTrailers(grpcTrailers(status, failure));
    // A client that never half-closes (a silent stream) would keep the HTTP/2
    // stream half-open: once the trailers are out, reset it (NO_ERROR), as gRPC servers do.
    if (!stream.readableEnded) stream.once("wantTrailers", () => setImmediate(() => stream.close(0)));
    response.end();
  }
  // The stream is over for callbacks (StreamInfo.signal), however it ended.
  endStreamSignal(abort);
}
