// Two independent xDS clients for the tests: Connect (connect-node, gRPC
// protocol over HTTP/2) and @grpc/grpc-js, behind one small interface.
import { create, type DescMessage, type DescMethodBiDiStreaming, fromBinary, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";

export type ClientKind = "connect" | "grpc-js";
export const CLIENT_KINDS: readonly ClientKind[] = ["connect", "grpc-js"];

export interface FinalStatus {
  readonly code: number;
  readonly message: string;
}

export interface TestStream<I extends DescMessage, O extends DescMessage> {
  send(request: MessageInitShape<I>): void;
  /** The next response; rejects after `timeoutMs` or when the stream failed. */
  next(timeoutMs?: number): Promise<MessageShape<O>>;
  /** Waits `ms` and fails if a response arrived meanwhile. */
  nothing(ms?: number): Promise<void>;
  /** The final status (0 for OK). */
  readonly status: Promise<FinalStatus>;
  /** Half-closes the request side. */
  end(): void;
  /** Cancels the call. */
  cancel(): void;
}

class Inbox<T> {
  readonly items: T[] = [];
  #waiter: (() => void) | undefined;
  failure: FinalStatus | undefined;
  push(item: T): void {
    this.items.push(item);
    this.#wake();
  }
  fail(status: FinalStatus): void {
    this.failure ??= status;
    this.#wake();
  }
  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
  async next(timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) return item;
      if (this.failure !== undefined) throw new Error(`stream ended: code ${this.failure.code}: ${this.failure.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

function wrap<I extends DescMessage, O extends DescMessage>(
  inbox: Inbox<MessageShape<O>>,
  status: Promise<FinalStatus>,
  send: (request: MessageInitShape<I>) => void,
  end: () => void,
  cancel: () => void,
): TestStream<I, O> {
  return {
    send,
    next: (timeoutMs = 3000) => inbox.next(timeoutMs),
    async nothing(ms = 150) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (inbox.items.length > 0) throw new Error(`unexpected response: ${JSON.stringify(inbox.items[0], (_k, v) => (typeof v === "bigint" ? String(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`);
    },
    status,
    end,
    cancel,
  };
}

export interface TestClient {
  readonly kind: ClientKind;
  open<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    headers?: Record<string, string>,
  ): TestStream<I, O>;
  close(): void;
}

export function connectClient(baseUrl: string, transport?: Transport): TestClient {
  const t = transport ?? createGrpcTransport({ baseUrl });
  const aborts = new Set<AbortController>();
  return {
    kind: "connect",
    open<I extends DescMessage, O extends DescMessage>(method: DescMethodBiDiStreaming<I, O>, headers?: Record<string, string>) {
      const client = createClient(method.parent, t) as unknown as Record<
        string,
        (input: AsyncIterable<MessageInitShape<I>>, options: { signal: AbortSignal; headers?: Record<string, string> }) => AsyncIterable<MessageShape<O>>
      >;
      const call = client[method.localName];
      if (call === undefined) throw new Error(`no method ${method.localName}`);
      const requests = createWritableIterable<MessageInitShape<I>>();
      const abort = new AbortController();
      aborts.add(abort);
      const inbox = new Inbox<MessageShape<O>>();
      const status = (async (): Promise<FinalStatus> => {
        try {
          for await (const response of call(requests, { signal: abort.signal, ...(headers === undefined ? {} : { headers }) })) {
            inbox.push(response);
          }
          return { code: 0, message: "" };
        } catch (error) {
          const e = ConnectError.from(error);
          return { code: e.code, message: e.rawMessage };
        } finally {
          aborts.delete(abort);
        }
      })();
      status.then((s) => inbox.fail(s));
      // A write resolves once the transport took the request; one after the
      // stream ended rejects, which a test sending to an ended stream ignores.
      const send = (request: MessageInitShape<I>) => void requests.write(request).catch(() => {});
      return wrap<I, O>(inbox, status, send, () => requests.close(), () => abort.abort());
    },
    close() {
      for (const abort of aborts) abort.abort();
    },
  };
}

export function grpcJsClient(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): TestClient {
  const client = new grpc.Client(address, credentials, options);
  return {
    kind: "grpc-js",
    open<I extends DescMessage, O extends DescMessage>(method: DescMethodBiDiStreaming<I, O>, headers?: Record<string, string>) {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers ?? {})) metadata.set(key, value);
      const call = client.makeBidiStreamRequest(
        `/${method.parent.typeName}/${method.name}`,
        (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
        (bytes: Buffer) => fromBinary(method.output, bytes),
        metadata,
      );
      const inbox = new Inbox<MessageShape<O>>();
      const status = new Promise<FinalStatus>((resolve) => {
        call.on("status", (s: grpc.StatusObject) => resolve({ code: s.code, message: s.details }));
      });
      call.on("data", (message: MessageShape<O>) => inbox.push(message));
      call.on("error", () => {});
      status.then((s) => inbox.fail(s));
      return wrap<I, O>(
        inbox,
        status,
        (r) => call.write(create(method.input, r)),
        () => call.end(),
        () => call.cancel(),
      );
    },
    close() {
      client.close();
    },
  };
}

export function openClient(kind: ClientKind, url: string): TestClient {
  return kind === "connect" ? connectClient(url) : grpcJsClient(url.replace(/^https?:\/\//, ""));
}

export { Code };
