import { CacheError } from "./cache-error.js";

/**
 * xDS federation resource names (xRFC TP1):
 * `xdstp://{authority}/{resource type}/{id}?{context parameters}`.
 *
 * Two spellings of one name are the same resource: percent-escapes are
 * decoded and re-encoded the one way (upper-case hex, only the characters
 * each component must escape, as Envoy encodes them), and context parameters
 * are sorted by key. {@link normalizeResourceName} gives that canonical
 * spelling; caches store and look up names in it, so a request naming the
 * parameters in another order, or escaping differently, still matches.
 *
 * A name whose id is `*` or ends in `/*` is a glob collection: it stands for
 * every resource of its authority and type whose id is one more path
 * segment under it and whose context parameters are the same
 * ({@link xdstpCollectionOf}).
 */

/** The scheme prefix of federation names. */
const SCHEME = "xdstp:";
const PREFIX = "xdstp://";

/** A federation resource name, decoded. */
export interface XdstpName {
  /** The authority, decoded; may be empty. */
  readonly authority: string;
  /** The resource type, such as `envoy.config.cluster.v3.Cluster` (no `type.googleapis.com/`). */
  readonly resourceType: string;
  /** The id, decoded: the path after the type, `/`-separated; `*` or `…/*` for a glob collection. */
  readonly id: string;
  /** The context parameters, decoded, sorted by key. */
  readonly contextParams: ReadonlyMap<string, string>;
}

/** What {@link formatXdstpName} takes: an {@link XdstpName} whose parameters may be in any order or a plain object. */
export interface XdstpNameInit {
  /** The authority, unescaped; may be empty. */
  readonly authority: string;
  /** The resource type, such as `envoy.config.cluster.v3.Cluster`. */
  readonly resourceType: string;
  /** The id, unescaped; `/` separates its segments. */
  readonly id: string;
  /** The context parameters, unescaped, in any order. Default: none. */
  readonly contextParams?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined;
}

// Characters each component escapes besides `%`, controls and bytes from `~` up: the sets Envoy encodes with.
const AUTHORITY_RESERVED = reservedSet("/?#");
const ID_RESERVED = reservedSet(":?#[]");
const PARAM_RESERVED = reservedSet("#[]&=");

function reservedSet(chars: string): ReadonlySet<number> {
  return new Set([..."%" + chars].map((c) => c.charCodeAt(0)));
}

const HEX = "0123456789ABCDEF";
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function escapeByte(byte: number, reserved: ReadonlySet<number>): string {
  return byte < 0x20 || byte >= 0x7e || reserved.has(byte) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The bytes a raw (possibly escaped) component stands for: `%XX` decoded, anything else as UTF-8. */
function componentBytes(raw: string): Uint8Array {
  if (!raw.includes("%")) return utf8.encode(raw);
  const out: number[] = [];
  for (let i = 0; i < raw.length; ) {
    if (raw.charCodeAt(i) === 37 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out.push((hi << 4) | lo);
        i += 3;
        continue;
      }
    }
    const codePoint = raw.codePointAt(i) as number;
    const char = String.fromCodePoint(codePoint);
    for (const byte of utf8.encode(char)) out.push(byte);
    i += char.length;
  }
  return Uint8Array.from(out);
}

function escapeBytes(bytes: Uint8Array, reserved: ReadonlySet<number>): string {
  let out = "";
  for (const byte of bytes) out += escapeByte(byte, reserved);
  return out;
}

/** A raw component in its canonical escaping. */
function canonicalComponent(raw: string, reserved: ReadonlySet<number>): string {
  return escapeBytes(componentBytes(raw), reserved);
}

function escapeText(text: string, reserved: ReadonlySet<number>): string {
  return escapeBytes(utf8.encode(text), reserved);
}

/** The parts of a name, each still in its raw spelling, or an error message. */
interface RawParts {
  readonly authority: string;
  readonly resourceType: string;
  readonly id: string;
  readonly params: ReadonlyArray<readonly [string, string]>;
}

function splitName(name: string): RawParts | string {
  if (!name.startsWith(PREFIX)) return `does not start with "${PREFIX}"`;
  if (name.includes("#")) return "has a fragment (directives belong to resource locators, not names)";
  const afterScheme = name.slice(PREFIX.length);
  const queryAt = afterScheme.indexOf("?");
  const path = queryAt === -1 ? afterScheme : afterScheme.slice(0, queryAt);
  const slash = path.indexOf("/");
  if (slash === -1) return "has no resource type";
  const typeEnd = path.indexOf("/", slash + 1);
  const resourceType = typeEnd === -1 ? path.slice(slash + 1) : path.slice(slash + 1, typeEnd);
  if (resourceType === "") return "has no resource type";
  const params: [string, string][] = [];
  if (queryAt !== -1) {
    for (const pair of afterScheme.slice(queryAt + 1).split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      params.push(eq === -1 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  return { authority: path.slice(0, slash), resourceType, id: typeEnd === -1 ? "" : path.slice(typeEnd + 1), params };
}

function joinCanonical(authority: string, resourceType: string, id: string, params: Iterable<readonly [string, string]>): string {
  // First occurrence of a key wins; keys compare in their canonical escaping, which orders as their bytes.
  const unique = new Map<string, string>();
  for (const [key, value] of params) if (!unique.has(key)) unique.set(key, value);
  const keys = [...unique.keys()].sort();
  const query = keys.map((key) => `${key}=${unique.get(key)}`).join("&");
  return `${PREFIX}${authority}/${resourceType}${id === "" ? "" : `/${id}`}${query === "" ? "" : `?${query}`}`;
}

/** Whether `name` uses the `xdstp:` scheme (whether or not it is well formed). */
export function isXdstpName(name: string): boolean {
  return name.startsWith(SCHEME);
}

/**
 * Decodes a federation name.
 *
 * @throws {CacheError} `resource-name` when `name` is not a well-formed
 * `xdstp://authority/type/id?params` name; the message says which part is wrong.
 */
export function parseXdstpName(name: string): XdstpName {
  const parts = splitName(name);
  if (typeof parts === "string") throw new CacheError("resource-name", `xdstp name "${name}" ${parts}`, { resourceName: name });
  const decode = (raw: string): string => utf8Decoder.decode(componentBytes(raw));
  const params = new Map<string, string>();
  for (const [key, value] of parts.params) {
    const decodedKey = decode(key);
    if (!params.has(decodedKey)) params.set(decodedKey, decode(value));
  }
  const sorted = new Map([...params].sort(([a], [b]) => compareKeys(a, b)));
  return { authority: decode(parts.authority), resourceType: parts.resourceType, id: decode(parts.id), contextParams: sorted };
}

function compareKeys(a: string, b: string): number {
  const x = escapeText(a, PARAM_RESERVED);
  const y = escapeText(b, PARAM_RESERVED);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The canonical spelling of a federation name from its decoded parts. */
export function formatXdstpName(name: XdstpNameInit): string {
  const given = name.contextParams;
  const entries: Iterable<readonly [string, string]> = given === undefined ? [] : given instanceof Map ? given : Object.entries(given);
  const params: [string, string][] = [];
  for (const [key, value] of entries) params.push([escapeText(key, PARAM_RESERVED), escapeText(value, PARAM_RESERVED)]);
  return joinCanonical(escapeText(name.authority, AUTHORITY_RESERVED), name.resourceType, escapeText(name.id, ID_RESERVED), params);
}

/**
 * The canonical spelling of a resource name: for a well-formed `xdstp:`
 * name, escapes normalised and context parameters sorted by key; any other
 * name (plain names, malformed `xdstp:` names) as it is. Cheap for plain names.
 */
export function normalizeResourceName(name: string): string {
  if (!name.startsWith(SCHEME) || isCanonicalAsIs(name)) return name;
  const parts = splitName(name);
  if (typeof parts === "string") return name;
  const params: [string, string][] = [];
  for (const [key, value] of parts.params) params.push([canonicalComponent(key, PARAM_RESERVED), canonicalComponent(value, PARAM_RESERVED)]);
  return joinCanonical(canonicalComponent(parts.authority, AUTHORITY_RESERVED), parts.resourceType, canonicalComponent(parts.id, ID_RESERVED), params);
}

/**
 * Whether a name is canonical without rebuilding it: nothing to unescape or
 * escape, and context parameters already sorted by key without repeats. Names
 * that servers get from Envoy (sorted by Envoy) and from caches take this
 * path, which costs one scan instead of a parse (50,000 names per ACK).
 */
function isCanonicalAsIs(name: string): boolean {
  if (!name.startsWith(PREFIX)) return false;
  const queryAt = name.indexOf("?");
  const pathEnd = queryAt === -1 ? name.length : queryAt;
  const slash = name.indexOf("/", PREFIX.length);
  if (slash === -1 || slash >= pathEnd) return false;
  const typeEnd = name.indexOf("/", slash + 1);
  // No empty type, and no empty id after a slash (the canonical name drops that slash).
  if (typeEnd === slash + 1 || typeEnd === pathEnd - 1) return false;
  for (let i = PREFIX.length; i < name.length; i++) {
    const code = name.charCodeAt(i);
    // Controls, "~" and up, "%", "#", "[", "]" are escaped (or unescaped) in the canonical name.
    if (code < 0x20 || code >= 0x7e || code === 37 || code === 35 || code === 91 || code === 93) return false;
    // ":" is escaped in the id.
    if (code === 58 && typeEnd !== -1 && i > typeEnd && i < pathEnd) return false;
  }
  if (queryAt === -1) return true;
  let previous: string | undefined;
  for (const pair of name.slice(queryAt + 1).split("&")) {
    const eq = pair.indexOf("=");
    // Empty pairs are dropped; a key without "=" gets one; "=" in a value is escaped.
    if (eq === -1 || pair.indexOf("=", eq + 1) !== -1) return false;
    const key = pair.slice(0, eq);
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

// The id of a canonical name, or undefined when it is not a well-formed xdstp name.
function canonicalId(name: string): { readonly start: number; readonly end: number } | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const queryAt = name.indexOf("?");
  const pathEnd = queryAt === -1 ? name.length : queryAt;
  const slash = name.indexOf("/", PREFIX.length);
  if (slash === -1 || slash >= pathEnd) return undefined;
  const typeEnd = name.indexOf("/", slash + 1);
  if (typeEnd === -1 || typeEnd >= pathEnd) return { start: pathEnd, end: pathEnd };
  return { start: typeEnd + 1, end: pathEnd };
}

/** Whether a name is a federation glob collection: its id is `*` or ends in `/*`. */
export function isXdstpGlob(name: string): boolean {
  if (!name.startsWith(PREFIX)) return false;
  const id = canonicalId(name);
  if (id === undefined || id.end === id.start) return false;
  return name.charCodeAt(id.end - 1) === 42 && (id.end - id.start === 1 || name.charCodeAt(id.end - 2) === 47);
}

/**
 * The glob collection a federation resource belongs to, canonical: its name
 * with the last segment of the id replaced by `*`, context parameters kept
 * (`xdstp://a/T/team/x?k=v` → `xdstp://a/T/team/*?k=v`). `undefined` for
 * plain names, malformed names and globs themselves. Pass a canonical name
 * (see {@link normalizeResourceName}).
 */
export function xdstpCollectionOf(name: string): string | undefined {
  if (!name.startsWith(PREFIX) || isXdstpGlob(name)) return undefined;
  const id = canonicalId(name);
  if (id === undefined) return undefined;
  const lastSlash = name.lastIndexOf("/", id.end - 1);
  const segmentStart = lastSlash >= id.start ? lastSlash + 1 : id.start;
  const head = name.slice(0, segmentStart);
  // An empty id (`xdstp://a/T`) has no segment to replace: its collection is `xdstp://a/T/*`.
  return segmentStart === id.end && id.start === id.end ? `${head}/*${name.slice(id.end)}` : `${head}*${name.slice(id.end)}`;
}
