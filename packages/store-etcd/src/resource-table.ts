import type { CachedResource, Logger } from "@xdskit/cache-core";
import { parseResourceKey, type ResourceKey } from "./key-layout.js";
import type { KeyChange } from "./prefix-watch.js";
import type { StoredValue } from "./read-prefix.js";
import { decodeResourceValue, type ResourceCodecOptions } from "./resource-value.js";

/** A change to what is served: `resource` is `undefined` when the resource is gone. */
export interface ServedChange {
  readonly ref: ResourceKey;
  readonly resource: CachedResource | undefined;
}

/**
 * The good resources under a prefix by key. A value that does not decode or
 * validate is logged with its key and skipped: the key keeps serving its last
 * good resource (or nothing, if it never had one) until a good value or a
 * delete arrives.
 */
export class ResourceTable {
  readonly #served = new Map<string, ServedChange>();
  readonly #skipped = new Map<string, string>();

  constructor(
    private readonly prefix: string,
    private readonly codec: ResourceCodecOptions,
    private readonly logger: Logger,
  ) {}

  /** Keys whose current value is skipped, and why. */
  skipped(): ReadonlyMap<string, string> {
    return this.#skipped;
  }

  /** Applies changes in revision order; returns what changed in what is served. */
  apply(changes: readonly KeyChange[]): ServedChange[] {
    const out: ServedChange[] = [];
    for (const change of changes) {
      const served = change.value === undefined ? this.#delete(change.key) : this.#put(change.key, change.value, change.modRevision);
      if (served !== undefined) out.push(served);
    }
    return out;
  }

  /** Replaces everything with a full read; returns what changed in what is served. */
  load(values: readonly StoredValue[]): ServedChange[] {
    const present = new Set(values.map((v) => v.key));
    const out: ServedChange[] = [];
    for (const key of [...this.#served.keys()]) {
      if (present.has(key)) continue;
      const gone = this.#delete(key);
      if (gone !== undefined) out.push(gone);
    }
    for (const key of [...this.#skipped.keys()]) if (!present.has(key)) this.#skipped.delete(key);
    for (const v of values) {
      const served = this.#put(v.key, v.value, v.modRevision);
      if (served !== undefined) out.push(served);
    }
    return out;
  }

  #delete(key: string): ServedChange | undefined {
    this.#skipped.delete(key);
    const held = this.#served.get(key);
    if (held === undefined) return undefined;
    this.#served.delete(key);
    return { ref: held.ref, resource: undefined };
  }

  #put(key: string, value: Uint8Array, modRevision: number): ServedChange | undefined {
    const ref = parseResourceKey(this.prefix, key);
    if (ref === undefined) {
      this.#skip(key, "not a resource key (<prefix><group>/<type>/<name>)", modRevision);
      return undefined;
    }
    let resource: CachedResource;
    try {
      resource = decodeResourceValue(ref, value, this.codec);
    } catch (error) {
      this.#skip(key, (error as Error).message, modRevision);
      return undefined;
    }
    this.#skipped.delete(key);
    const held = this.#served.get(key)?.resource;
    if (held !== undefined && held.hash === resource.hash) return undefined;
    const served = { ref, resource };
    this.#served.set(key, served);
    return served;
  }

  #skip(key: string, reason: string, modRevision: number): void {
    if (this.#skipped.get(key) === reason) return; // a reload of the same bad value: said already
    this.#skipped.set(key, reason);
    this.logger.error("etcd: skipped a bad value; its key keeps serving the last good resource, if any", {
      key,
      revision: modRevision,
      reason,
      servingLastGood: this.#served.has(key),
    });
  }
}
