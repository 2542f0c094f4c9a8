import { KnownRegex } from "@xdskit/envoy-api/validate/validate_pb";
import { compileGoRegexp, UnsupportedPatternError } from "./go-regexp.js";
import { allOf, suspectWhen, unsupportedRules, type Check, type RuleReader, type Suspect } from "./rule-reader.js";
import { runeCount, runeCountOfBytes, utf8Length } from "./utf8.js";
import { emailProblem, goIpKind, hostnameProblem, isUuid, uriIsAbsolute, uriProblem } from "./well-known-strings.js";

// protoc-gen-validate turns `well_known_regex` into a `pattern` when it generates Go: these are
// its patterns, and `strict: false` swaps both header formats for the lenient one.
export const HTTP_HEADER_NAME = "^:?[0-9a-zA-Z!#$%&'*+-.^_|~\x60]+$";
export const HTTP_HEADER_VALUE = "^[^\u0000-\u0008\u000A-\u001F\u007F]*$";
export const HEADER_STRING = "^[^\u0000\u000A\u000D]*$";

const quote = (s: string): string => JSON.stringify(s);

/**
 * StringRules, in the order Go checks them: const, in / not_in, length in code points, length in
 * bytes, prefix, suffix, contains, not_contains, the well-known format, pattern (including
 * `well_known_regex`), all under ignore_empty.
 */
export function compileStringRules(reader: RuleReader): Check | undefined {
  const ignoreEmpty = reader.get<boolean>("ignore_empty") === true;
  const checks: Check[] = [];
  const add = (rule: string, violated: (s: string) => boolean, message: string, suspect?: Suspect): void => {
    const name = `string.${rule}`;
    const check: Check = (value, walk) => {
      if (violated(value as string)) walk.report(name, message, value);
    };
    checks.push(suspect === undefined ? check : suspectWhen(check, suspect));
  };

  const constant = reader.get<string>("const");
  if (constant !== undefined) add("const", (s) => s !== constant, `must equal ${quote(constant)}`, (v, ref) => `${v} !== ${ref(constant)}`);
  const within = reader.get<string[]>("in") ?? [];
  const without = reader.get<string[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set(within);
    add("in", (s) => !set.has(s), `must be one of [${within.map(quote).join(", ")}]`, (v, ref) => `!${ref(set)}.has(${v})`);
  } else if (without.length > 0) {
    const set = new Set(without);
    add("not_in", (s) => set.has(s), `must not be one of [${without.map(quote).join(", ")}]`, (v, ref) => `${ref(set)}.has(${v})`);
  }

  const len = reader.get<bigint>("len");
  const minLen = reader.get<bigint>("min_len");
  const maxLen = reader.get<bigint>("max_len");
  if (len !== undefined) {
    const n = Number(len);
    add("len", (s) => s.length < n || s.length > 2 * n || runeCount(s) !== n, `must be exactly ${n} characters long`);
  } else {
    // JavaScript length bounds the code point count: runes <= length <= 2 * runes.
    if (minLen !== undefined) {
      const n = Number(minLen);
      add("min_len", (s) => s.length < n || (s.length < 2 * n && runeCount(s) < n), `must be at least ${n} character${n === 1 ? "" : "s"} long`, (v) => `${v}.length < ${2 * n}`);
    }
    if (maxLen !== undefined) {
      const n = Number(maxLen);
      add("max_len", (s) => s.length > n && (s.length > 2 * n || runeCount(s) > n), `must be at most ${n} characters long`, (v) => `${v}.length > ${n}`);
    }
  }
  const lenBytes = reader.get<bigint>("len_bytes");
  const minBytes = reader.get<bigint>("min_bytes");
  const maxBytes = reader.get<bigint>("max_bytes");
  if (lenBytes !== undefined) {
    const n = Number(lenBytes);
    add("len_bytes", (s) => utf8Length(s) !== n, `must be exactly ${n} bytes long (UTF-8)`);
  } else {
    // UTF-8 length is between the JavaScript length and 3 times it.
    if (minBytes !== undefined) {
      const n = Number(minBytes);
      add("min_bytes", (s) => s.length < n && (3 * s.length < n || utf8Length(s) < n), `must be at least ${n} byte${n === 1 ? "" : "s"} long (UTF-8)`, (v) => `${v}.length < ${n}`);
    }
    if (maxBytes !== undefined) {
      const n = Number(maxBytes);
      add("max_bytes", (s) => 3 * s.length > n && (s.length > n || utf8Length(s) > n), `must be at most ${n} bytes long (UTF-8)`, (v) => `3 * ${v}.length > ${n}`);
    }
  }
  const prefix = reader.get<string>("prefix");
  if (prefix !== undefined) add("prefix", (s) => !s.startsWith(prefix), `must start with ${quote(prefix)}`, (v, ref) => `!${v}.startsWith(${ref(prefix)})`);
  const suffix = reader.get<string>("suffix");
  if (suffix !== undefined) add("suffix", (s) => !s.endsWith(suffix), `must end with ${quote(suffix)}`, (v, ref) => `!${v}.endsWith(${ref(suffix)})`);
  const contains = reader.get<string>("contains");
  if (contains !== undefined) add("contains", (s) => !s.includes(contains), `must contain ${quote(contains)}`, (v, ref) => `!${v}.includes(${ref(contains)})`);
  const notContains = reader.get<string>("not_contains");
  if (notContains !== undefined) add("not_contains", (s) => s.includes(notContains), `must not contain ${quote(notContains)}`, (v, ref) => `${v}.includes(${ref(notContains)})`);

  compileWellKnown(reader, checks);
  let pattern = reader.get<string>("pattern");
  const strict = reader.get<boolean>("strict");
  const knownRegex = reader.get<KnownRegex>("well_known_regex");
  let patternRule = "string.pattern";
  if (knownRegex !== undefined && knownRegex !== KnownRegex.UNKNOWN) {
    const lenient = strict === false;
    if (knownRegex === KnownRegex.HTTP_HEADER_NAME) pattern = lenient ? HEADER_STRING : HTTP_HEADER_NAME;
    else if (knownRegex === KnownRegex.HTTP_HEADER_VALUE) pattern = lenient ? HEADER_STRING : HTTP_HEADER_VALUE;
    patternRule = "string.well_known_regex";
  }
  if (pattern !== undefined) {
    try {
      const re = compileGoRegexp(pattern);
      const what =
        patternRule === "string.pattern"
          ? `must match the pattern ${quote(pattern)}`
          : knownRegex === KnownRegex.HTTP_HEADER_NAME && strict !== false
            ? "must be a valid HTTP header name"
            : knownRegex === KnownRegex.HTTP_HEADER_VALUE && strict !== false
              ? "must be a valid HTTP header value"
              : "must not contain NUL, CR or LF";
      const check: Check = (value, walk) => {
        if (!re.test(value as string)) walk.report(patternRule, what, value);
      };
      checks.push(suspectWhen(check, (v, ref) => `!${ref(re)}.test(${v})`));
    } catch (error) {
      if (!(error instanceof UnsupportedPatternError)) throw error;
      checks.push(unsupportedRules([`${patternRule} (${error.message})`]));
    }
  }
  let check = allOf(checks);
  if (check !== undefined && ignoreEmpty) {
    const inner = check;
    check = (value, walk) => {
      if (value !== "") inner(value, walk);
    };
    const suspect = inner.suspect;
    if (suspect !== undefined) suspectWhen(check, (v, ref) => `(${v} !== "" && (${suspect(v, ref)}))`);
  }
  // Rules about length alone can be judged on the encoded bytes, without decoding the string.
  const lengthOnly =
    check !== undefined &&
    checks.length === [minLen, maxLen, len, minBytes, maxBytes, lenBytes].filter((x) => x !== undefined).length &&
    knownRegex === undefined &&
    pattern === undefined;
  if (check !== undefined && lengthOnly) {
    (check as StringCheck).onBytes = lengthViolated(len, minLen, maxLen, lenBytes, minBytes, maxBytes, ignoreEmpty);
  }
  return check;
}

/** A string check that can also say, from UTF-8 bytes alone, whether it might fail. */
export type StringCheck = Check & { onBytes?: (bytes: Uint8Array, start: number, end: number) => boolean };

function lengthViolated(
  len: bigint | undefined,
  minLen: bigint | undefined,
  maxLen: bigint | undefined,
  lenBytes: bigint | undefined,
  minBytes: bigint | undefined,
  maxBytes: bigint | undefined,
  ignoreEmpty: boolean,
): (bytes: Uint8Array, start: number, end: number) => boolean {
  const lo = Math.max(len === undefined ? 0 : Number(len), minLen === undefined ? 0 : Number(minLen));
  const hi = Math.min(len === undefined ? Number.POSITIVE_INFINITY : Number(len), maxLen === undefined ? Number.POSITIVE_INFINITY : Number(maxLen));
  const loBytes = Math.max(lenBytes === undefined ? 0 : Number(lenBytes), minBytes === undefined ? 0 : Number(minBytes));
  const hiBytes = Math.min(lenBytes === undefined ? Number.POSITIVE_INFINITY : Number(lenBytes), maxBytes === undefined ? Number.POSITIVE_INFINITY : Number(maxBytes));
  return (bytes, start, end) => {
    const n = end - start;
    if (n === 0 && ignoreEmpty) return false;
    if (n < loBytes || n > hiBytes) return true;
    if (lo === 0 && hi === Number.POSITIVE_INFINITY) return false;
    // n bytes hold between ceil(n / 4) and n code points: count them only when that range
    // straddles a bound. `true` means "decode and check", never a violation by itself.
    const fewest = Math.ceil(n / 4);
    if (n < lo || fewest > hi) return true;
    if (fewest >= lo && n <= hi) return false;
    const runes = runeCountOfBytes(bytes, start, end);
    return runes < lo || runes > hi;
  };
}

function compileWellKnown(reader: RuleReader, checks: Check[]): void {
  const add = (rule: string, problem: (s: string) => string | undefined, message: string): void => {
    const name = `string.${rule}`;
    checks.push((value, walk) => {
      const why = problem(value as string);
      if (why !== undefined) walk.report(name, why === "" ? message : `${message}: ${why}`, value);
    });
  };
  if (reader.get<boolean>("ip") === true) add("ip", (s) => (goIpKind(s) === undefined ? "" : undefined), "must be an IP address");
  else if (reader.get<boolean>("ipv4") === true) add("ipv4", (s) => (goIpKind(s) !== "v4" ? "" : undefined), "must be an IPv4 address");
  else if (reader.get<boolean>("ipv6") === true) add("ipv6", (s) => (goIpKind(s) !== "v6" ? "" : undefined), "must be an IPv6 address");
  else if (reader.get<boolean>("email") === true) add("email", emailProblem, "must be an e-mail address");
  else if (reader.get<boolean>("hostname") === true) add("hostname", (s) => hostnameProblem(s, utf8Length(s)), "must be a hostname");
  else if (reader.get<boolean>("address") === true) {
    add("address", (s) => (hostnameProblem(s, utf8Length(s)) !== undefined && goIpKind(s) === undefined ? "" : undefined), "must be a hostname or an IP address");
  } else if (reader.get<boolean>("uri") === true) {
    add("uri", (s) => uriProblem(s) ?? (uriIsAbsolute(s) ? undefined : "it has no scheme"), "must be an absolute URI");
  } else if (reader.get<boolean>("uri_ref") === true) add("uri_ref", uriProblem, "must be a URI reference");
  else if (reader.get<boolean>("uuid") === true) add("uuid", (s) => (isUuid(s) ? undefined : ""), "must be a UUID");
}
