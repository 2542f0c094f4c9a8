import { ENDPOINT_TYPE_URL, isXdstpGlob, type Logger, silentLogger, typeNameOfUrl } from "@xdskit/cache-core";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { TypeResources } from "./type-resources.js";

/** How many names or node keys a diagnostic lists; the rest are counted. */
const LISTED = 10;
/** How many node keys the diagnostics remember; the least recently seen are forgotten first. */
const REMEMBERED_NODES = 10_000;

/** What was already said about one node key, so it is said once. */
interface Notes {
  /** Told that the node waits for a snapshot, and not set one since. */
  waiting: boolean;
  /** type URL → fingerprint of the names last reported missing (`""`: none). */
  readonly missing: Map<string, string>;
}

/**
 * The snapshot cache's diagnostics: why a node's requests wait. Each is logged
 * once per node key (and type, and set of missing names), never per request:
 * what was said is remembered per node key, for at most 10,000 node keys
 * (least recently seen forgotten first) and until `clearSnapshot` forgets the
 * key. With the default silent logger nothing is computed at all.
 */
export class NodeDiagnostics {
  readonly #logger: Logger;
  readonly #notes = new Map<string, Notes>();
  readonly #limit: number;
  /** False for the silent logger: then no check runs. */
  readonly enabled: boolean;

  constructor(logger: Logger, limit = REMEMBERED_NODES) {
    this.#logger = logger;
    this.#limit = limit;
    this.enabled = logger !== silentLogger;
  }

  /**
   * A request of node key `key` found no snapshot: warns once, naming the
   * node, its cluster, the key and the keys that have a snapshot (info
   * instead when no key has one yet, as while a control plane starts).
   */
  noSnapshot(key: string, node: Node | undefined, typeUrl: string, snapshotKeys: ReadonlyMap<string, unknown>): void {
    if (!this.enabled) return;
    const notes = this.#touch(key);
    if (notes.waiting) return;
    notes.waiting = true;
    const id = node?.id ?? "";
    const cluster = node?.cluster ?? "";
    const who = `no snapshot for node "${id}" (cluster "${cluster}") under node key "${key}": its requests wait until setSnapshot("${key}", …)`;
    const fields = { node: id, cluster, nodeKey: key, typeUrl };
    if (snapshotKeys.size === 0) {
      this.#logger.info(`${who}; no snapshot is set for any node key yet`, fields);
      return;
    }
    const keys = firstOf(snapshotKeys.keys(), LISTED);
    this.#logger.warn(`${who}; snapshots are set for ${plural(snapshotKeys.size, "node key")}: ${listed(keys, snapshotKeys.size)}`, {
      ...fields,
      snapshotKeys: keys,
      snapshotKeyCount: snapshotKeys.size,
    });
  }

  /** A snapshot was set for `key`: says so when the node was told it waits for one. */
  snapshotSet(key: string, answered: number): void {
    const notes = this.#notes.get(key);
    if (notes === undefined || !notes.waiting) return;
    notes.waiting = false;
    this.#logger.info(`snapshot set for node key "${key}", which was waiting for one: ${plural(answered, "watch")} answered`, {
      nodeKey: key,
      answered,
    });
  }

  /** The node's snapshot does not serve the type it asks for (a snapshot with a version per type, none for this one). */
  unservedType(key: string, node: Node | undefined, typeUrl: string): void {
    if (!this.enabled) return;
    const notes = this.#touch(key);
    if (notes.missing.get(typeUrl) === UNSERVED) return;
    notes.missing.set(typeUrl, UNSERVED);
    const id = node?.id ?? "";
    this.#logger.info(
      `node "${id}" (node key "${key}") requests type "${typeUrl}", which its snapshot has no version for: the request waits until a snapshot versions it`,
      { node: id, nodeKey: key, typeUrl },
    );
  }

  /**
   * Names a request of node key `key` asks for that the snapshot's type does
   * not hold: logged at info when that set of names changes (endpoints: the
   * clusters that wait on them). Wildcard requests name nothing to check.
   */
  missingNames(key: string, node: Node | undefined, names: Iterable<string>, resources: TypeResources): void {
    if (!this.enabled) return;
    const missing: string[] = [];
    for (const name of names) if (!resources.byName.has(name) && !isXdstpGlob(name)) missing.push(name);
    const notes = this.#touch(key);
    const typeUrl = resources.typeUrl;
    const print = fingerprint(missing);
    if ((notes.missing.get(typeUrl) ?? "") === print) return;
    notes.missing.set(typeUrl, print);
    if (missing.length === 0) return;
    const id = node?.id ?? "";
    const shown = missing.slice(0, LISTED);
    const where = `snapshot version "${resources.version}"`;
    const message =
      typeUrl === ENDPOINT_TYPE_URL
        ? `node "${id}" (node key "${key}") has ${plural(missing.length, "cluster")} waiting on endpoints missing from ${where}: ${listed(shown, missing.length)}`
        : `node "${id}" (node key "${key}") requests ${plural(missing.length, `${shortName(typeUrl)} name`)} missing from ${where}: ${listed(shown, missing.length)}`;
    this.#logger.info(message, {
      node: id,
      nodeKey: key,
      typeUrl,
      version: resources.version,
      missing: shown,
      missingCount: missing.length,
    });
  }

  /** Forgets what was said about a node key (`clearSnapshot`). */
  forget(key: string): void {
    this.#notes.delete(key);
  }

  /** The notes of a key, marked most recently seen; the least recently seen key goes when over the limit. */
  #touch(key: string): Notes {
    let notes = this.#notes.get(key);
    if (notes === undefined) {
      notes = { waiting: false, missing: new Map() };
      if (this.#notes.size >= this.#limit) {
        const oldest = this.#notes.keys().next();
        if (oldest.done !== true) this.#notes.delete(oldest.value);
      }
    } else {
      this.#notes.delete(key);
    }
    this.#notes.set(key, notes);
    return notes;
  }
}

const UNSERVED = "unserved";

function firstOf(keys: Iterator<string>, count: number): string[] {
  const out: string[] = [];
  for (let next = keys.next(); next.done !== true && out.length < count; next = keys.next()) out.push(next.value);
  return out;
}

/** `"a", "b" … (3 more)`. */
function listed(shown: readonly string[], total: number): string {
  const names = shown.map((name) => `"${name}"`).join(", ");
  return total > shown.length ? `${names} … (${total - shown.length} more)` : names;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : noun.endsWith("h") ? "es" : "s"}`;
}

function shortName(typeUrl: string): string {
  const name = typeNameOfUrl(typeUrl);
  return name.slice(name.lastIndexOf(".") + 1);
}

/**
 * An order-independent fingerprint of a set of names, small whatever their
 * number: the count, and the xor and the sum of their FNV-1a hashes.
 */
function fingerprint(names: readonly string[]): string {
  if (names.length === 0) return "";
  let xor = 0;
  let sum = 0;
  for (const name of names) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    xor ^= h;
    sum = (sum + (h >>> 0)) % 0x100000000;
  }
  return `${names.length}:${xor >>> 0}:${sum}`;
}
