import { WireWriter } from "./wire-writer.js";

/**
 * A TTL as `google.protobuf.Duration{seconds, nanos}`: whole seconds, the
 * rest of a non-negative number of milliseconds rounded to nanoseconds.
 */
export function splitDuration(ms: number): { readonly seconds: number; readonly nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** {@link splitDuration} of `ms`, encoded as protobuf-es encodes a `Duration`. */
export function durationBytes(ms: number): Uint8Array {
  const { seconds, nanos } = splitDuration(ms);
  return new WireWriter().varint(1, seconds).varint(2, nanos).finish();
}
