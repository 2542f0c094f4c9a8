// A raw gRPC-over-HTTP/2 client for the fast-path tests: exact control over
// frames, headers and reading, no client library in between.
import * as http2 from "node:http2";

export interface RawStatus {
  readonly code: number;
  readonly message: string;
  readonly headers: http2.IncomingHttpHeaders;
}

export interface RawCall {
  readonly stream: http2.ClientHttp2Stream;
  /** Response messages read so far (when reading). */
  readonly messages: Buffer[];
  /** Writes one Length-Prefixed-Message with the given compressed flag. */
  send(message: Uint8Array, flag?: number): void;
  /** Writes raw bytes, no framing. */
  sendRaw(bytes: Uint8Array): void;
  end(): void;
  /** grpc-status and percent-decoded grpc-message from the trailers (or a Trailers-Only response); -1 if none. */
  readonly status: Promise<RawStatus>;
  close(): void;
}

export function prefixed(message: Uint8Array, flag = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export function rawCall(
  url: string,
  path: string,
  options: { headers?: Record<string, string>; read?: boolean; session?: http2.ClientHttp2Session } = {},
): RawCall {
  const session = options.session ?? http2.connect(url);
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...options.headers,
  });
  stream.on("error", () => {});
  const messages: Buffer[] = [];
  let buffer = Buffer.alloc(0);
  let responseHeaders: http2.IncomingHttpHeaders = {};
  stream.on("response", (headers) => {
    responseHeaders = headers;
  });
  if (options.read ?? true) {
    stream.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 5 && buffer.length >= 5 + buffer.readUInt32BE(1)) {
        const length = buffer.readUInt32BE(1);
        messages.push(buffer.subarray(5, 5 + length));
        buffer = buffer.subarray(5 + length);
      }
    });
  } else {
    stream.pause();
  }
  const status = new Promise<RawStatus>((resolve) => {
    const from = (headers: http2.IncomingHttpHeaders): boolean => {
      const code = headers["grpc-status"];
      if (code === undefined) return false;
      const message = String(headers["grpc-message"] ?? "");
      resolve({ code: Number(code), message: decodeURIComponent(message), headers: responseHeaders });
      return true;
    };
    stream.on("response", (headers) => void from(headers));
    stream.on("trailers", (trailers) => void from(trailers));
    stream.on("close", () => resolve({ code: -1, message: `closed, rst ${stream.rstCode}`, headers: responseHeaders }));
  });
  return {
    stream,
    messages,
    send: (message, flag = 0) => void stream.write(prefixed(message, flag)),
    sendRaw: (bytes) => void stream.write(bytes),
    end: () => void stream.end(),
    status,
    close: () => {
      stream.close();
      if (options.session === undefined) session.close();
    },
  };
}
