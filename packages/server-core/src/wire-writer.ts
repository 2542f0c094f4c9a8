const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Bytes a varint of a non-negative safe integer takes. */
export function varintSize(value: number): number {
  let size = 1;
  let rest = value;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 128);
    size += 1;
  }
  return size;
}

/** Writes a varint of a non-negative safe integer at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    target[at] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
    at += 1;
  }
  target[at] = rest;
  return at + 1;
}

const LENGTH_DELIMITED = 2;
const VARINT = 0;

/**
 * Writes one protobuf message by hand, field by field, into a single buffer:
 * for responses assembled from bytes that were encoded once and are shared
 * (resources), so nothing is re-encoded. Fields must be added in field-number
 * order to match what protobuf-es writes. Proto3 defaults (`""`, `0`) of
 * singular fields are skipped; repeated elements and messages are always written.
 */
export class WireWriter {
  readonly #tags: number[] = [];
  readonly #values: Array<Uint8Array | number> = [];
  #size = 0;

  /** A length-delimited field (a message, bytes, or one element of a repeated field), written even when empty. */
  bytes(field: number, value: Uint8Array): this {
    const tag = field * 8 + LENGTH_DELIMITED;
    this.#tags.push(tag);
    this.#values.push(value);
    this.#size += varintSize(tag) + varintSize(value.length) + value.length;
    return this;
  }

  /** A singular string field; skipped when empty. */
  string(field: number, value: string): this {
    return value === "" ? this : this.bytes(field, utf8.encode(value));
  }

  /** One element of a repeated string field (written even when empty). */
  repeatedString(field: number, value: string): this {
    return this.bytes(field, value === "" ? EMPTY : utf8.encode(value));
  }

  /** A singular varint field of a non-negative safe integer; skipped when 0. */
  varint(field: number, value: number): this {
    if (value === 0) return this;
    const tag = field * 8 + VARINT;
    this.#tags.push(tag);
    this.#values.push(value);
    this.#size += varintSize(tag) + varintSize(value);
    return this;
  }

  /** Size of the message so far, in bytes. */
  get size(): number {
    return this.#size;
  }

  /** The encoded message, after `headroom` bytes left zero for the caller (a frame header). */
  finish(headroom = 0): Uint8Array {
    const out = new Uint8Array(headroom + this.#size);
    let at = headroom;
    const tags = this.#tags;
    const values = this.#values;
    for (let i = 0; i < tags.length; i++) {
      at = writeVarint(out, at, tags[i] as number);
      const value = values[i] as Uint8Array | number;
      if (typeof value === "number") {
        at = writeVarint(out, at, value);
      } else {
        at = writeVarint(out, at, value.length);
        out.set(value, at);
        at += value.length;
      }
    }
    return out;
  }
}
