import { GrpcStatus, ServerError } from "@xdskit/server-core";

const PREFIX = 5;

/**
 * Splits a gRPC request body (DATA frames, in any chunking) into its
 * Length-Prefixed-Messages: a 1-byte compressed flag, a 4-byte big-endian
 * length, the message. Only uncompressed messages are accepted (the fast
 * path serves `grpc-encoding: identity` only).
 *
 * @throws {ServerError} UNIMPLEMENTED for a compressed message,
 *   RESOURCE_EXHAUSTED for one larger than `maxBytes`, INVALID_ARGUMENT for
 *   an unknown flag or a body that ends inside a message.
 */
export async function* readGrpcMessages(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    buffer = buffer.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([buffer, chunk]);
    while (buffer.length >= PREFIX) {
      const flag = buffer[0] as number;
      const length = buffer.readUInt32BE(1);
      if (flag === 1) {
        throw new ServerError("invalid-request", "compressed request messages are not supported (send grpc-encoding identity)", {
          status: GrpcStatus.UNIMPLEMENTED,
        });
      }
      if (flag !== 0) {
        throw new ServerError("invalid-request", `protocol error: invalid message flag ${flag}`);
      }
      if (length > maxBytes) {
        throw new ServerError("invalid-request", `message size ${length} is larger than configured readMaxBytes ${maxBytes}`, {
          status: GrpcStatus.RESOURCE_EXHAUSTED,
        });
      }
      if (buffer.length < PREFIX + length) break;
      const message = buffer.subarray(PREFIX, PREFIX + length);
      buffer = buffer.subarray(PREFIX + length);
      yield message;
    }
  }
  if (buffer.length > 0) {
    throw new ServerError("invalid-request", `protocol error: the request ended inside a message (${buffer.length} bytes left)`);
  }
}
