// Go measures strings in UTF-8 bytes and in runes (code points); JavaScript strings are UTF-16.
// These helpers give the Go figures for a JavaScript string (a lone surrogate counts as the one
// replacement character, three bytes, it becomes on the wire) and for raw UTF-8 bytes.

/** Code points in `s`, as Go's utf8.RuneCountInString counts them after encoding. */
export function runeCount(s: string): number {
  let pairs = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return n - pairs;
}

/** Bytes of the UTF-8 encoding of `s` (what Go's len() gives). */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: two units, four bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Code points in valid UTF-8 `bytes[start, end)`: every byte that does not continue a sequence. */
export function runeCountOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) if (((bytes[i] as number) & 0xc0) !== 0x80) count++;
  return count;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The string in UTF-8 `bytes[start, end)`, or `undefined` when the bytes are not valid UTF-8
 * (Go's protobuf runtime refuses such a proto3 string when it decodes).
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  // Short ASCII is quicker to build by hand; past a few characters TextDecoder wins.
  if (end - start <= 8) {
    let ascii = "";
    let i = start;
    for (; i < end; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) break;
      ascii += String.fromCharCode(b);
    }
    if (i === end) return ascii;
  }
  try {
    return strictDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
