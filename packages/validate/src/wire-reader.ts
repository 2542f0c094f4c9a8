import { ScalarType } from "@bufbuild/protobuf";

// Reading the protobuf wire format without building messages: positions in, positions out, the
// decoded varint left in `varint` (no allocation per value).

/** Bytes that are not a valid encoding of the message they should hold. */
export class WireError extends Error {}

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const SGROUP = 3;
export const EGROUP = 4;
export const I32 = 5;

/** The last varint read: low and high 32 bits. */
export const varint = { lo: 0, hi: 0 };

const truncated = (): WireError => new WireError("truncated message");

/** Reads a varint at `pos` into {@link varint}; returns the position after it. */
export function readVarint(buf: Uint8Array, pos: number, end: number): number {
  let lo = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw truncated();
    b = buf[pos++] as number;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varint.lo = lo;
      varint.hi = 0;
      return pos;
    }
  }
  if (pos >= end) throw truncated();
  b = buf[pos++] as number;
  lo |= (b & 0x0f) << 28;
  let hi = (b & 0x70) >> 4;
  if (b >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31) throw new WireError("varint longer than 10 bytes");
      if (pos >= end) throw truncated();
      b = buf[pos++] as number;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
  }
  varint.lo = lo;
  varint.hi = hi;
  return pos;
}

/** Reads a length prefix and checks the bytes are there; returns the position after the prefix. */
export function readLength(buf: Uint8Array, pos: number, end: number): number {
  pos = readVarint(buf, pos, end);
  if (varint.hi !== 0 || varint.lo < 0 || pos + varint.lo > end) throw truncated();
  return pos;
}

/** The position after the value of a field of wire type `wt` starting at `pos`. */
export function skipField(buf: Uint8Array, pos: number, end: number, wt: number, fieldNumber: number, depth = 0): number {
  switch (wt) {
    case VARINT:
      return readVarint(buf, pos, end);
    case I64:
      if (pos + 8 > end) throw truncated();
      return pos + 8;
    case I32:
      if (pos + 4 > end) throw truncated();
      return pos + 4;
    case LEN:
      pos = readLength(buf, pos, end);
      return pos + varint.lo;
    case SGROUP:
      if (depth > 100) throw new WireError("groups nested too deep");
      for (;;) {
        pos = readVarint(buf, pos, end);
        const tag = varint.lo >>> 0;
        if ((tag & 7) === EGROUP) {
          if (tag >>> 3 !== fieldNumber) throw new WireError("mismatched end of group");
          return pos;
        }
        pos = skipField(buf, pos, end, tag & 7, tag >>> 3, depth + 1);
      }
    default:
      throw new WireError(`invalid wire type ${wt}`);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

function fixed(buf: Uint8Array, pos: number, n: 4 | 8): DataView {
  for (let i = 0; i < n; i++) scratch.setUint8(i, buf[pos + i] as number);
  return scratch;
}

/** The wire type a scalar is encoded with (not packed). */
export function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    default:
      return VARINT;
  }
}

/**
 * The scalar at `pos` (not a string or bytes), as protobuf-es represents it: number, bigint for
 * 64-bit integers, boolean. Returns the value; `pos` must already hold a complete value.
 */
export function readScalar(buf: Uint8Array, pos: number, end: number, scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.INT32:
      readVarint(buf, pos, end);
      return varint.lo | 0;
    case ScalarType.UINT32:
      readVarint(buf, pos, end);
      return varint.lo >>> 0;
    case ScalarType.SINT32:
      readVarint(buf, pos, end);
      return (varint.lo >>> 1) ^ -(varint.lo & 1);
    case ScalarType.BOOL:
      readVarint(buf, pos, end);
      return (varint.lo | varint.hi) !== 0;
    case ScalarType.INT64:
      readVarint(buf, pos, end);
      return BigInt.asIntN(64, (BigInt(varint.hi >>> 0) << 32n) | BigInt(varint.lo >>> 0));
    case ScalarType.UINT64:
      readVarint(buf, pos, end);
      return (BigInt(varint.hi >>> 0) << 32n) | BigInt(varint.lo >>> 0);
    case ScalarType.SINT64: {
      readVarint(buf, pos, end);
      const u = (BigInt(varint.hi >>> 0) << 32n) | BigInt(varint.lo >>> 0);
      return (u >> 1n) ^ -(u & 1n);
    }
    case ScalarType.FIXED32:
      return fixed(buf, pos, 4).getUint32(0, true);
    case ScalarType.SFIXED32:
      return fixed(buf, pos, 4).getInt32(0, true);
    case ScalarType.FLOAT:
      return fixed(buf, pos, 4).getFloat32(0, true);
    case ScalarType.FIXED64:
      return fixed(buf, pos, 8).getBigUint64(0, true);
    case ScalarType.SFIXED64:
      return fixed(buf, pos, 8).getBigInt64(0, true);
    case ScalarType.DOUBLE:
      return fixed(buf, pos, 8).getFloat64(0, true);
    default:
      throw new WireError(`scalar type ${scalar} is not read here`);
  }
}
