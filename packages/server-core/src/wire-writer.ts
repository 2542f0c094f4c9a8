const EMPTY = new Uint8Array(0);

/** Bytes of the UTF-8 encoding of a string (a lone surrogate counts as U+FFFD, as TextEncoder writes it). */
export function utf8Size(value: string): number {
  let size = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 2;
      i += 1;
    } else size += 2;
  }
  return size;
}

// UTF-8 by hand: for the short strings of a response (versions, type URLs,
// nonces) this is several times cheaper than a TextEncoder call.
function writeUtf8(target: Uint8Array, offset: number, value: string): number {
  let at = offset;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c < 0x80) {
      target[at++] = c;
    } else if (c < 0x800) {
      target[at++] = 0xc0 | (c >> 6);
      target[at++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i += 1;
          target[at++] = 0xf0 | (c >> 18);
          target[at++] = 0x80 | ((c >> 12) & 0x3f);
          target[at++] = 0x80 | ((c >> 6) & 0x3f);
          target[at++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      target[at++] = 0xe0 | (c >> 12);
      target[at++] = 0x80 | ((c >> 6) & 0x3f);
      target[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

// Node's pooled allocation is several times cheaper than `new Uint8Array` for
// small sizes; every byte after the headroom is written, the headroom zeroed.
const allocate: (size: number) => Uint8Array =
  typeof Buffer === "function" ? (size) => Buffer.allocUnsafe(size) : (size) => new Uint8Array(size);

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
// Not a protobuf tag (field 0 is invalid): marks raw bytes, written without a tag or length.
const RAW = -1;

/**
 * Writes one protobuf message by hand, field by field, into a single buffer:
 * for responses assembled from bytes that were encoded once and are shared
 * (resources), so nothing is re-encoded. Fields must be added in field-number
 * order to match what protobuf-es writes. Proto3 defaults (`""`, `0`) of
 * singular fields are skipped; repeated elements and messages are always written.
 */
export class WireWriter {
  readonly #tags: number[] = [];
  readonly #values: Array<Uint8Array | string | number> = [];
  // UTF-8 sizes of string values (0 for other values), not recomputed on finish.
  readonly #utf8Sizes: number[] = [];
  #size = 0;

  /** A length-delimited field (a message, bytes, or one element of a repeated field), written even when empty. */
  bytes(field: number, value: Uint8Array): this {
    const tag = field * 8 + LENGTH_DELIMITED;
    this.#tags.push(tag);
    this.#values.push(value);
    this.#utf8Sizes.push(0);
    this.#size += varintSize(tag) + varintSize(value.length) + value.length;
    return this;
  }

  /** Bytes that are already one or more encoded fields, written as they are. */
  raw(value: Uint8Array): this {
    this.#tags.push(RAW);
    this.#values.push(value);
    this.#utf8Sizes.push(0);
    this.#size += value.length;
    return this;
  }

  /** A singular string field; skipped when empty. */
  string(field: number, value: string): this {
    return value === "" ? this : this.repeatedString(field, value);
  }

  /** One element of a repeated string field (written even when empty). */
  repeatedString(field: number, value: string): this {
    if (value === "") return this.bytes(field, EMPTY);
    const tag = field * 8 + LENGTH_DELIMITED;
    const size = utf8Size(value);
    this.#tags.push(tag);
    this.#values.push(value);
    this.#utf8Sizes.push(size);
    this.#size += varintSize(tag) + varintSize(size) + size;
    return this;
  }

  /** A singular varint field of a non-negative safe integer; skipped when 0. */
  varint(field: number, value: number): this {
    if (value === 0) return this;
    const tag = field * 8 + VARINT;
    this.#tags.push(tag);
    this.#values.push(value);
    this.#utf8Sizes.push(0);
    this.#size += varintSize(tag) + varintSize(value);
    return this;
  }

  /** Size of the message so far, in bytes. */
  get size(): number {
    return this.#size;
  }

  /** The encoded message, after `headroom` bytes left zero for the caller (a frame header). */
  finish(headroom = 0): Uint8Array {
    const out = allocate(headroom + this.#size);
    out.fill(0, 0, headroom);
    this.writeTo(out, headroom);
    return out;
  }

  /** Writes the encoded message into `out` at `offset` ({@link WireWriter.size} bytes); returns the offset after it. */
  writeTo(out: Uint8Array, offset: number): number {
    let at = offset;
    const tags = this.#tags;
    const values = this.#values;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as number;
      const value = values[i] as Uint8Array | string | number;
      if (tag === RAW) {
        out.set(value as Uint8Array, at);
        at += (value as Uint8Array).length;
        continue;
      }
      at = writeVarint(out, at, tag);
      if (typeof value === "number") {
        at = writeVarint(out, at, value);
      } else if (typeof value === "string") {
        at = writeUtf8(out, writeVarint(out, at, this.#utf8Sizes[i] as number), value);
      } else {
        at = writeVarint(out, at, value.length);
        out.set(value, at);
        at += value.length;
      }
    }
    return at;
  }
}

/**
 * Bytes of a length-delimited field of a field number below 16 (a 1-byte
 * tag) whose payload is `size` bytes: for writing small messages directly,
 * with {@link writeStringField} and {@link writeBytesField}, without a
 * {@link WireWriter}.
 */
export function smallFieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

/** Writes a string field (`tag` is the 1-byte tag, `size` its UTF-8 size); returns the offset after it. */
export function writeStringField(out: Uint8Array, at: number, tag: number, value: string, size: number): number {
  out[at] = tag;
  return writeUtf8(out, writeVarint(out, at + 1, size), value);
}

/** Writes a bytes (or message) field (`tag` is the 1-byte tag); returns the offset after it. */
export function writeBytesField(out: Uint8Array, at: number, tag: number, value: Uint8Array): number {
  out[at] = tag;
  const start = writeVarint(out, at + 1, value.length);
  out.set(value, start);
  return start + value.length;
}

/** A buffer of `size` bytes whose contents the caller overwrites entirely (pooled on Node). */
export function allocateUnsafe(size: number): Uint8Array {
  return allocate(size);
}
