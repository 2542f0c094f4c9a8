import { GrpcStatus, ServerError } from "@xdskit/server-core";

const PREFIX = 5;
const EMPTY = Buffer.alloc(0);

/**
 * Splits a gRPC request body (DATA frames, in any chunking) into its
 * Length-Prefixed-Messages as the chunks arrive: a 1-byte compressed flag,
 * a 4-byte big-endian length, the message. Only uncompressed messages are
 * accepted (the fast path serves `grpc-encoding: identity` only). A message
 * that lies whole in one chunk is handed out as a view of it, not a copy.
 */
export class GrpcMessageSplitter {
  readonly #maxBytes: number;
  // The start of a message whose end has not arrived yet.
  #pending: Buffer = EMPTY;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * Calls `onMessage` with every message `chunk` completes, in order.
   *
   * @throws {ServerError} UNIMPLEMENTED for a compressed message,
   *   RESOURCE_EXHAUSTED for one larger than `maxBytes`, INVALID_ARGUMENT for
   *   an unknown flag.
   */
  push(chunk: Uint8Array, onMessage: (message: Uint8Array) => void): void {
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const joined = this.#pending.length > 0;
    let buffer = joined ? Buffer.concat([this.#pending, incoming]) : incoming;
    while (buffer.length >= PREFIX) {
      const flag = buffer[0] as number;
      if (flag === 1) {
        throw new ServerError("invalid-request", "compressed request messages are not supported (send grpc-encoding identity)", {
          status: GrpcStatus.UNIMPLEMENTED,
        });
      }
      if (flag !== 0) {
        throw new ServerError("invalid-request", `protocol error: invalid message flag ${flag}`);
      }
      const length = buffer.readUInt32BE(1);
      if (length > this.#maxBytes) {
        throw new ServerError("invalid-request", `message size ${length} is larger than configured readMaxBytes ${this.#maxBytes}`, {
          status: GrpcStatus.RESOURCE_EXHAUSTED,
        });
      }
      if (buffer.length < PREFIX + length) break;
      onMessage(buffer.subarray(PREFIX, PREFIX + length));
      buffer = buffer.subarray(PREFIX + length);
    }
    // What is left is kept: copied out of the transport's chunk, which must not be held for it.
    this.#pending = buffer.length === 0 ? EMPTY : joined ? buffer : Buffer.from(buffer);
  }

  /**
   * The body ended.
   *
   * @throws {ServerError} INVALID_ARGUMENT when it ended inside a message.
   */
  end(): void {
    if (this.#pending.length > 0) {
      throw new ServerError("invalid-request", `protocol error: the request ended inside a message (${this.#pending.length} bytes left)`);
    }
  }
}
