import { ScalarType } from "@bufbuild/protobuf";
import { decodeUtf8 } from "./utf8.js";
import type { WireReaderFns } from "./wire-codegen.js";
import { LEN, readLength, readScalar, readVarint, skipField, varint, VARINT, WireError, wireTypeOf } from "./wire-reader.js";

// Values read from encoded messages as the rules see them: strings, wrappers, durations, Any parts.

/** A string field's value; invalid UTF-8 makes the message undecodable, as in Go. */
export function readString(buf: Uint8Array, vs: number, ve: number): string {
  const s = decodeUtf8(buf, vs, ve);
  if (s === undefined) throw new WireError("a string field is not valid UTF-8");
  return s;
}

/** The value of a string, bytes or other scalar at `[vs, ve)`. */
export function scalarAt(buf: Uint8Array, vs: number, ve: number, scalar: ScalarType): unknown {
  if (scalar === ScalarType.STRING) return readString(buf, vs, ve);
  if (scalar === ScalarType.BYTES) return buf.subarray(vs, ve);
  return readScalar(buf, vs, ve, scalar);
}

export const readerFns: WireReaderFns = {
  V: varint,
  varint: readVarint,
  len: readLength,
  skip: (b, p, end, wt, num) => skipField(b, p, end, wt, num),
  scalar: readScalar,
  str: readString,
  truncated: () => {
    throw new WireError("truncated message");
  },
  fieldZero: () => {
    throw new WireError("field number 0");
  },
};

/** Field 1 of a wrapper message (last occurrence), or the zero value. */
export function readWrapped(buf: Uint8Array, start: number, end: number, scalar: ScalarType, zero: unknown): unknown {
  const ewt = wireTypeOf(scalar);
  let value = zero;
  for (let pos = start; pos < end; ) {
    pos = readVarint(buf, pos, end);
    const tag = varint.lo >>> 0;
    const wt = tag & 7;
    let vs = pos;
    if (wt === LEN) {
      vs = readLength(buf, pos, end);
      pos = vs + varint.lo;
    } else pos = skipField(buf, pos, end, wt, tag >>> 3);
    if (tag >>> 3 === 1 && wt === ewt) value = scalarAt(buf, vs, pos, scalar);
  }
  return value;
}

/** A Duration or Timestamp: seconds (field 1), nanos (field 2). */
export function readSecondsNanos(buf: Uint8Array, start: number, end: number): { seconds: bigint | number; nanos: number } {
  let seconds: bigint | number = 0;
  let nanos = 0;
  for (let pos = start; pos < end; ) {
    pos = readVarint(buf, pos, end);
    const tag = varint.lo >>> 0;
    const wt = tag & 7;
    if (wt === VARINT && tag >>> 3 === 1) {
      const vs = pos;
      pos = readVarint(buf, pos, end);
      // A number while it fits in 32 bits (either sign), else the exact bigint.
      if (varint.hi === 0 && varint.lo >= 0) seconds = varint.lo;
      else if (varint.hi === -1 && varint.lo < 0) seconds = varint.lo;
      else seconds = readScalar(buf, vs, pos, ScalarType.INT64) as bigint;
    } else if (wt === VARINT && tag >>> 3 === 2) {
      pos = readVarint(buf, pos, end);
      nanos = varint.lo | 0;
    } else pos = skipField(buf, pos, end, wt, tag >>> 3);
  }
  return { seconds, nanos };
}

/** Where the parts of the last `Any` read by {@link readAnyRange} are (reused: read them at once). */
export const anyParts = { urlStart: 0, urlEnd: 0, valueStart: 0, valueEnd: 0 };

/** Finds type_url (field 1) and value (field 2) of an encoded `Any`, last occurrence winning. */
export function readAnyRange(buf: Uint8Array, start: number, end: number): void {
  anyParts.urlStart = anyParts.urlEnd = anyParts.valueStart = anyParts.valueEnd = 0;
  for (let pos = start; pos < end; ) {
    pos = readVarint(buf, pos, end);
    const tag = varint.lo >>> 0;
    const wt = tag & 7;
    if (wt === LEN && (tag >>> 3 === 1 || tag >>> 3 === 2)) {
      const vs = readLength(buf, pos, end);
      pos = vs + varint.lo;
      if (tag >>> 3 === 1) {
        anyParts.urlStart = vs;
        anyParts.urlEnd = pos;
      } else {
        anyParts.valueStart = vs;
        anyParts.valueEnd = pos;
      }
    } else pos = skipField(buf, pos, end, wt, tag >>> 3);
  }
}
