/** Bytes of a gRPC Length-Prefixed-Message prefix: compressed flag, 4-byte big-endian length. */
export const GRPC_PREFIX_BYTES = 5;

/**
 * Fills the prefix of a message encoded after {@link GRPC_PREFIX_BYTES} bytes
 * of headroom (uncompressed), making it a gRPC frame without a copy.
 */
export function fillGrpcPrefix(frame: Uint8Array): Uint8Array {
  const length = frame.length - GRPC_PREFIX_BYTES;
  frame[0] = 0;
  frame[1] = length >>> 24;
  frame[2] = (length >>> 16) & 0xff;
  frame[3] = (length >>> 8) & 0xff;
  frame[4] = length & 0xff;
  return frame;
}
