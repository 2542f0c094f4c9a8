import { compileGoRegexp, UnsupportedPatternError } from "./go-regexp.js";
import { allOf, unsupportedRules, type Check, type RuleReader } from "./rule-reader.js";

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// A string with one character per byte, for set lookups (chunked: no spreading of huge arrays).
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}
const lenient = new TextDecoder("utf-8");

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * BytesRules, in Go's order. As in the Go code, an empty `const`, `prefix`, `suffix` or
 * `contains` is no rule at all.
 */
export function compileBytesRules(reader: RuleReader): Check | undefined {
  const ignoreEmpty = reader.get<boolean>("ignore_empty") === true;
  const checks: Check[] = [];
  const add = (rule: string, violated: (b: Uint8Array) => boolean, message: string): void => {
    const name = `bytes.${rule}`;
    checks.push((value, walk) => {
      if (violated(value as Uint8Array)) walk.report(name, message, value);
    });
  };
  const len = reader.get<bigint>("len");
  const minLen = reader.get<bigint>("min_len");
  const maxLen = reader.get<bigint>("max_len");
  if (len !== undefined) add("len", (b) => b.length !== Number(len), `must be exactly ${len} bytes long`);
  else {
    if (minLen !== undefined) add("min_len", (b) => b.length < Number(minLen), `must be at least ${minLen} byte${minLen === 1n ? "" : "s"} long`);
    if (maxLen !== undefined) add("max_len", (b) => b.length > Number(maxLen), `must be at most ${maxLen} bytes long`);
  }
  const prefix = reader.get<Uint8Array>("prefix");
  if (prefix !== undefined && prefix.length > 0) add("prefix", (b) => !equal(b.subarray(0, prefix.length), prefix), `must start with the bytes ${hex(prefix)}`);
  const suffix = reader.get<Uint8Array>("suffix");
  if (suffix !== undefined && suffix.length > 0) {
    add("suffix", (b) => b.length < suffix.length || !equal(b.subarray(b.length - suffix.length), suffix), `must end with the bytes ${hex(suffix)}`);
  }
  const contains = reader.get<Uint8Array>("contains");
  if (contains !== undefined && contains.length > 0) add("contains", (b) => indexOf(b, contains) < 0, `must contain the bytes ${hex(contains)}`);
  const within = reader.get<Uint8Array[]>("in") ?? [];
  const without = reader.get<Uint8Array[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set(within.map(latin1));
    add("in", (b) => !set.has(latin1(b)), `must be one of [${within.map(hex).join(", ")}]`);
  } else if (without.length > 0) {
    const set = new Set(without.map(latin1));
    add("not_in", (b) => set.has(latin1(b)), `must not be one of [${without.map(hex).join(", ")}]`);
  }
  const constant = reader.get<Uint8Array>("const");
  if (constant !== undefined && constant.length > 0) add("const", (b) => !equal(b, constant), `must equal the bytes ${hex(constant)}`);
  if (reader.get<boolean>("ip") === true) add("ip", (b) => b.length !== 4 && b.length !== 16, "must be an IP address (4 or 16 bytes)");
  else if (reader.get<boolean>("ipv4") === true) add("ipv4", (b) => !(b.length === 4 || (b.length === 16 && isV4Mapped(b))), "must be an IPv4 address");
  else if (reader.get<boolean>("ipv6") === true) add("ipv6", (b) => b.length !== 16 || isV4Mapped(b), "must be an IPv6 address (16 bytes)");
  const pattern = reader.get<string>("pattern");
  if (pattern !== undefined) {
    try {
      // Go matches the bytes as UTF-8, an invalid byte being one U+FFFD.
      const re = compileGoRegexp(pattern);
      add("pattern", (b) => !re.test(lenient.decode(b)), `must match the pattern ${JSON.stringify(pattern)}`);
    } catch (error) {
      if (!(error instanceof UnsupportedPatternError)) throw error;
      checks.push(unsupportedRules([`bytes.pattern (${error.message})`]));
    }
  }
  const check = allOf(checks);
  if (check === undefined || !ignoreEmpty) return check;
  return (value, walk) => {
    if ((value as Uint8Array).length > 0) check(value, walk);
  };
}

function hex(b: Uint8Array): string {
  return `0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}
