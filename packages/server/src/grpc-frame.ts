import type { ResponseChunks } from "@xdskit/server-core/internal";

/** Bytes of a gRPC Length-Prefixed-Message prefix: compressed flag, 4-byte big-endian length. */
export const GRPC_PREFIX_BYTES = 5;

/**
 * Fills the prefix of a response encoded after {@link GRPC_PREFIX_BYTES}
 * bytes of headroom (uncompressed), making its chunks a gRPC frame without a copy.
 */
export function fillGrpcPrefix(chunks: ResponseChunks): ResponseChunks {
  const frame = chunks[0];
  if (frame === undefined) return chunks;
  let length = -GRPC_PREFIX_BYTES;
  for (const chunk of chunks) length += chunk.length;
  frame[0] = 0;
  frame[1] = length >>> 24;
  frame[2] = (length >>> 16) & 0xff;
  frame[3] = (length >>> 8) & 0xff;
  frame[4] = length & 0xff;
  return chunks;
}
