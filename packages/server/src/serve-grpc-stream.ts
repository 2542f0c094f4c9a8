import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from "node:http2";
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { GrpcStatus, ServerError } from "@xdskit/server-core";
import { type ProtocolStream, type StreamInit, statusOf, type WireStatus } from "@xdskit/server-core/internal";
import { fillGrpcPrefix, GRPC_PREFIX_BYTES } from "./grpc-frame.js";
import { GrpcMessageSplitter } from "./grpc-message-reader.js";
import { whenDeadlinePasses } from "./grpc-timeout.js";
import { grpcTrailers } from "./grpc-trailers.js";
import { peerOfRequest } from "./peer-info.js";
import { serveStream } from "./serve-stream.js";
import { calmDown, markSent } from "./connection-guard.js";
import { type EndableStream, trackOnSession } from "./session-streams.js";
import { WriteStallWatch } from "./write-stall-watch.js";

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

function headersOf(request: Http2ServerRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
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

type Waiter<T> = { readonly resolve: (result: IteratorResult<T>) => void; readonly reject: (error: unknown) => void };

/**
 * The requests of one gRPC stream, read straight from the HTTP/2 stream (not
 * through the compatibility request, whose second stream buffer and async
 * generators cost more than decoding an ACK): each message is decoded as
 * soon as its last byte arrives and handed out in order. Ends when the
 * client half-closes; ends quietly when the client reset the stream (it is
 * gone, not failing); throws what failed otherwise (after the requests
 * decoded before it).
 */
class GrpcRequests<I extends DescMessage> implements AsyncIterableIterator<MessageShape<I>> {
  readonly #stream: ServerHttp2Stream;
  readonly #schema: I;
  readonly #splitter: GrpcMessageSplitter;
  readonly #gone: () => boolean;
  #queue: MessageShape<I>[] = [];
  #head = 0;
  #paused = false;
  #ended = false;
  #failure: { readonly error: unknown } | undefined;
  #waiter: Waiter<MessageShape<I>> | undefined;

  constructor(stream: ServerHttp2Stream, schema: I, maxBytes: number, gone: () => boolean) {
    this.#stream = stream;
    this.#schema = schema;
    this.#splitter = new GrpcMessageSplitter(maxBytes);
    this.#gone = gone;
    stream.on("data", this.#onData);
    stream.once("end", this.#onEnd);
    stream.once("close", this.#onClose);
    stream.once("error", this.#fail);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<MessageShape<I>>> {
    if (this.#head < this.#queue.length) return Promise.resolve({ value: this.#take(), done: false });
    if (this.#ended) return this.#finished();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<MessageShape<I>>> {
    this.#end(undefined);
    this.#queue = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
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
      message = fromBinary(this.#schema, bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ServerError("invalid-request", `malformed ${this.#schema.name}: parse binary: ${reason}`, { cause: error });
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: message, done: false });
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

  #end(failure: { readonly error: unknown } | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    const stream = this.#stream;
    stream.off("data", this.#onData);
    stream.off("end", this.#onEnd);
    stream.off("close", this.#onClose);
    stream.off("error", this.#fail);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) this.#finished().then(waiter.resolve, waiter.reject);
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

  // A client that reset the stream is gone, not failing: its stream ends quietly.
  #finished(): Promise<IteratorResult<MessageShape<I>>> {
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined && !this.#gone()) return Promise.reject(failure.error);
    return Promise.resolve({ value: undefined, done: true });
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
  const onGone = () => abort.abort();
  stream.once("close", onGone);
  stream.once("aborted", onGone);
  // The client reset or the stream closed: nothing more can be written.
  const gone = () => abort.signal.aborted || stream.destroyed || stream.closed;
  const requestType = request.headers["content-type"];
  const contentType = requestType === "application/grpc+proto" ? requestType : "application/grpc";
  const protocolStream = method.open({
    typeUrl: method.typeUrl,
    requestHeader: headersOf(request),
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
  abort.abort();
}
