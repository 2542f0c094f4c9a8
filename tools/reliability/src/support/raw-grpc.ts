// gRPC over bare node:http2: many streams on one connection, exact control over half-close, cancel
// (RST_STREAM), not reading, and the bytes on the wire (garbage frames). No Connect client in the way.
import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import * as http2 from "node:http2";

export const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
export const DELTA_ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources";

/** A gRPC length-prefixed message (uncompressed). */
export function grpcFrame(bytes: Uint8Array, compressed = false): Buffer {
  const out = Buffer.allocUnsafe(5 + bytes.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

/** Splits a byte stream into gRPC messages. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    while (this.#buf.length >= 5) {
      const len = this.#buf.readUInt32BE(1);
      if (this.#buf.length < 5 + len) break;
      out.push(this.#buf.subarray(5, 5 + len));
      this.#buf = this.#buf.subarray(5 + len);
    }
    return out;
  }
  get buffered(): number {
    return this.#buf.length;
  }
}

/** How a stream ended: the gRPC status (from trailers, or trailers-only headers), or -1 when reset without one. */
export interface StreamEnd {
  readonly code: number;
  readonly message: string;
  readonly rstCode: number;
}

export interface RawStream<Res> {
  readonly h2: http2.ClientHttp2Stream;
  /** Writes one message (framed). */
  send(bytes: Uint8Array): void;
  /** Writes bytes as they are (for garbage). */
  sendRaw(bytes: Uint8Array): void;
  /** Ends the request side (client half-close). */
  halfClose(): void;
  /** RST_STREAM CANCEL. */
  cancel(): void;
  /** The next response, or undefined once the stream ended; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Res | undefined>;
  readonly received: number;
  readonly ended: Promise<StreamEnd>;
}

export interface OpenOptions<Res> {
  /** Called for every response instead of queueing it for `next`. */
  readonly onMessage?: (response: Res) => void;
  /** Do not read at all (the HTTP/2 stream stays paused: flow control fills up). */
  readonly noRead?: boolean;
}

/** Opens a gRPC bidi stream on a session and decodes responses with `schema`. */
export function openStream<S extends DescMessage>(
  session: http2.ClientHttp2Session,
  path: string,
  schema: S,
  opts: OpenOptions<MessageShape<S>> = {},
): RawStream<MessageShape<S>> {
  const h2 = session.request(
    { ":method": "POST", ":path": path, "content-type": "application/grpc+proto", te: "trailers" },
    { endStream: false },
  );
  const queue: MessageShape<S>[] = [];
  let waiter: (() => void) | undefined;
  let done = false;
  let received = 0;
  let grpcStatus: { code: number; message: string } | undefined;
  const decoder = new FrameDecoder();
  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const statusFrom = (headers: http2.IncomingHttpHeaders) => {
    const s = headers["grpc-status"];
    if (s !== undefined) grpcStatus = { code: Number(s), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) };
  };
  h2.on("response", statusFrom);
  h2.on("trailers", statusFrom);
  if (opts.noRead) h2.pause();
  else
    h2.on("data", (chunk: Buffer) => {
      for (const bytes of decoder.push(chunk)) {
        received++;
        const message = fromBinary(schema, bytes);
        if (opts.onMessage) opts.onMessage(message);
        else queue.push(message);
      }
      wake();
    });
  h2.on("error", () => {});
  const ended = new Promise<StreamEnd>((resolve) => {
    h2.on("close", () => {
      done = true;
      wake();
      resolve({ code: grpcStatus?.code ?? -1, message: grpcStatus?.message ?? "", rstCode: h2.rstCode ?? 0 });
    });
  });
  return {
    h2,
    send(bytes) {
      if (!h2.writableEnded && !h2.destroyed) h2.write(grpcFrame(bytes));
    },
    sendRaw(bytes) {
      if (!h2.writableEnded && !h2.destroyed) h2.write(bytes);
    },
    halfClose() {
      if (!h2.writableEnded && !h2.destroyed) h2.end();
    },
    cancel() {
      if (!h2.destroyed) h2.close(http2.constants.NGHTTP2_CANCEL);
    },
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = queue.shift();
        if (m !== undefined) return m;
        if (done) return undefined;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
    get received() {
      return received;
    },
    ended,
  };
}

/** A cleartext HTTP/2 connection to a local xDS server; resolves once connected. */
export async function connect(url: string, settings: http2.Settings = {}): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { settings });
  session.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  return session;
}

export function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    session.close(() => resolve());
    setTimeout(() => {
      session.destroy();
      resolve();
    }, 2_000).unref();
  });
}

export const encode = <S extends DescMessage>(schema: S, message: MessageShape<S>): Uint8Array => toBinary(schema, message);
