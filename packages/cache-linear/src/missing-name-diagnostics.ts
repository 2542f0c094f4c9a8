import { ENDPOINT_TYPE_URL, type Logger, silentLogger, typeNameOfUrl } from "@xdskit/cache-core";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { ResourceStore } from "./resource-store.js";

/** How many names a diagnostic lists; the rest are counted. */
const LISTED = 10;
/** How many nodes the diagnostics remember; the least recently seen are forgotten first. */
const REMEMBERED_NODES = 10_000;

/**
 * The linear cache's diagnostic: names a node subscribes to by name that the
 * cache does not hold (for endpoints: clusters that wait on them). Logged at
 * info once per node id and set of missing names, never per request: the last
 * set said is remembered per node id, for at most 10,000 node ids (least
 * recently seen forgotten first). With the default silent logger nothing is
 * computed at all.
 */
export class MissingNameDiagnostics {
  readonly #logger: Logger;
  readonly #typeUrl: string;
  readonly #limit: number;
  /** node id → fingerprint of the names last reported missing (`""`: none). */
  readonly #said = new Map<string, string>();
  /** False for the silent logger: then no check runs. */
  readonly enabled: boolean;

  constructor(logger: Logger, typeUrl: string, limit = REMEMBERED_NODES) {
    this.#logger = logger;
    this.#typeUrl = typeUrl;
    this.#limit = limit;
    this.enabled = logger !== silentLogger;
  }

  /** Checks the exact names a request of `node` asks for against the store. */
  check(node: Node | undefined, names: Iterable<string>, store: ResourceStore, version: string): void {
    if (!this.enabled) return;
    const missing: string[] = [];
    for (const name of names) if (!store.has(name)) missing.push(name);
    const id = node?.id ?? "";
    const print = fingerprint(missing);
    const previous = this.#said.get(id);
    // Most recently seen last, so the first key is the one to forget.
    if (previous !== undefined) this.#said.delete(id);
    else if (this.#said.size >= this.#limit) {
      const oldest = this.#said.keys().next();
      if (oldest.done !== true) this.#said.delete(oldest.value);
    }
    this.#said.set(id, print);
    if ((previous ?? "") === print || missing.length === 0) return;
    const cluster = node?.cluster ?? "";
    const shown = missing.slice(0, LISTED);
    const where = `the linear cache at version "${version}"`;
    const message =
      this.#typeUrl === ENDPOINT_TYPE_URL
        ? `node "${id}" (cluster "${cluster}") has ${plural(missing.length, "cluster")} waiting on endpoints missing from ${where}: ${listed(shown, missing.length)}`
        : `node "${id}" (cluster "${cluster}") requests ${plural(missing.length, `${shortName(this.#typeUrl)} name`)} missing from ${where}: ${listed(shown, missing.length)}`;
    this.#logger.info(message, { node: id, cluster, typeUrl: this.#typeUrl, version, missing: shown, missingCount: missing.length });
  }
}

/** `"a", "b" … (3 more)`. */
function listed(shown: readonly string[], total: number): string {
  const names = shown.map((name) => `"${name}"`).join(", ");
  return total > shown.length ? `${names} … (${total - shown.length} more)` : names;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
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
