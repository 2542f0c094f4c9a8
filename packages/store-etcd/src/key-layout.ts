import { TYPE_URL_PREFIX } from "@xdskit/cache-core";
import { EtcdStoreError } from "./etcd-store-error.js";

/** The key prefix used when none is given. */
export const DEFAULT_KEY_PREFIX = "/xdskit/";

/** Where one resource lives: its node group, type URL and name. */
export interface ResourceKey {
  /** The node group. */
  readonly group: string;
  /** The type URL. */
  readonly typeUrl: string;
  /** The resource name. */
  readonly name: string;
}

/** A prefix always ends with `/`, so `/a` never covers `/ab/…`. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_KEY_PREFIX;
  return p.endsWith("/") ? p : `${p}/`;
}

function typeSegment(typeUrl: string): string {
  if (typeUrl === "") throw new EtcdStoreError("invalid-key", "a resource key needs a type URL");
  // The common case stays readable (`envoy.config.cluster.v3.Cluster`); any other
  // type URL is percent-encoded whole, which a type name never is.
  const name = typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl.slice(TYPE_URL_PREFIX.length) : "";
  return name !== "" && !name.includes("/") && !name.includes("%") ? name : encodeURIComponent(typeUrl);
}

function groupSegment(group: string): string {
  if (group === "") throw new EtcdStoreError("invalid-key", "a node group name must not be empty", { group });
  return encodeURIComponent(group);
}

/** The key prefix of every resource of a group: `<prefix><group>/`. */
export function groupKeyPrefix(prefix: string, group: string): string {
  return `${prefix}${groupSegment(group)}/`;
}

/** The key prefix of every resource of one type in a group: `<prefix><group>/<type>/`. */
export function typeKeyPrefix(prefix: string, group: string, typeUrl: string): string {
  return `${groupKeyPrefix(prefix, group)}${typeSegment(typeUrl)}/`;
}

/**
 * The key of a resource: `<prefix><group>/<type>/<name>`, where `<group>` is
 * percent-encoded, `<type>` is the type name for `type.googleapis.com/…` type
 * URLs (else the percent-encoded URL) and `<name>` is the resource name as is
 * (it may contain `/`, as xdstp names do: it is the rest of the key).
 *
 * @throws {EtcdStoreError} `invalid-key` for an empty group, type URL or name.
 */
export function resourceKey(prefix: string, key: ResourceKey): string {
  if (key.name === "") {
    throw new EtcdStoreError("invalid-key", `a resource of type "${key.typeUrl}" in group "${key.group}" has an empty name`, key);
  }
  return `${typeKeyPrefix(prefix, key.group, key.typeUrl)}${key.name}`;
}

/** The group, type URL and name a key stands for, or `undefined` when it is not a resource key under `prefix`. */
export function parseResourceKey(prefix: string, key: string): ResourceKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const groupEnd = rest.indexOf("/");
  const typeEnd = groupEnd < 0 ? -1 : rest.indexOf("/", groupEnd + 1);
  if (groupEnd <= 0 || typeEnd < 0 || typeEnd === groupEnd + 1 || typeEnd === rest.length - 1) return undefined;
  try {
    const group = decodeURIComponent(rest.slice(0, groupEnd));
    const type = decodeURIComponent(rest.slice(groupEnd + 1, typeEnd));
    return { group, typeUrl: type.includes("/") ? type : TYPE_URL_PREFIX + type, name: rest.slice(typeEnd + 1) };
  } catch {
    return undefined; // malformed percent-encoding
  }
}

/** The `range_end` that makes a range cover every key starting with `prefix`. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] ?? 0) < 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys
}
