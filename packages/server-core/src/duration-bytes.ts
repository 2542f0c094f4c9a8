import { WireWriter } from "./wire-writer.js";

/**
 * A `google.protobuf.Duration{seconds, nanos}` of a non-negative number of
 * milliseconds, encoded as protobuf-es would encode it (the split of the
 * TTL wrappers: whole seconds, the rest rounded to nanoseconds).
 */
export function durationBytes(ms: number): Uint8Array {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return new WireWriter().varint(1, seconds).varint(2, nanos).finish();
}
