import { defaultResourceTypes, silentLogger, type CachedResource, type Logger } from "@xdskit/cache-core";
import type { Etcd3, IRequestOp } from "etcd3";
import { storeErrorOf } from "./etcd-errors.js";
import { getOrAdd } from "./get-or-add.js";
import { EtcdStoreError } from "./etcd-store-error.js";
import { normalizePrefix, parseResourceKey, prefixRangeEnd, resourceKey, type ResourceKey } from "./key-layout.js";
import { readPrefix } from "./read-prefix.js";
import {
  deleteOpSize,
  ETCD_DEFAULT_MAX_REQUEST_BYTES,
  ETCD_DEFAULT_MAX_TXN_OPS,
  putOpSize,
  rangeCompareSize,
  txnRequestSize,
} from "./request-size.js";
import { decodeResourceValue, encodeResource, type ResourceCodecOptions, type ResourceInput } from "./resource-value.js";

/** Options of {@link createEtcdWriter}. */
export interface EtcdWriterOptions extends ResourceCodecOptions {
  /** An etcd3 client (see `createEtcdClient`). The writer does not close it. */
  readonly client: Etcd3;
  /** Key prefix of everything this writer owns. Default `/xdskit/`. */
  readonly prefix?: string | undefined;
  /**
   * The etcd server's `--max-request-bytes`: a transaction larger than this is
   * refused before it is sent, naming the largest resources. Default 1.5 MiB (etcd's default).
   */
  readonly maxRequestBytes?: number | undefined;
  /** The etcd server's `--max-txn-ops`: more operations in one transaction are refused before sending. Default 128 (etcd's default). */
  readonly maxTxnOps?: number | undefined;
  /** How many times `replace` re-reads and retries when another writer changed the prefix meanwhile. Default 5. */
  readonly replaceAttempts?: number | undefined;
  /** Default: silent. */
  readonly logger?: Logger | undefined;
}

/** A resource to put into a group. */
export interface GroupResource {
  /** The node group (the snapshot cache node key) it belongs to. */
  readonly group: string;
  /** The resource: a message or a prepared `CachedResource`. */
  readonly resource: ResourceInput;
}

/** What a write did. */
export interface WriteResult {
  /** The etcd revision after the write: a mirror that applied it serves the new state. */
  readonly revision: number;
  /** Resources written. */
  readonly put: number;
  /** Resources deleted. */
  readonly deleted: number;
  /** Resources `replace` left alone because etcd already held the same bytes. */
  readonly unchanged: number;
}

/** Everything under the writer's prefix, decoded. */
export interface StoredResources {
  /** The etcd revision the read saw. */
  readonly revision: number;
  /** group → type URL → name → resource. */
  readonly groups: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, CachedResource>>>;
  /** Keys under the prefix that are not valid resources, and why. */
  readonly invalid: readonly { readonly key: string; readonly reason: string }[];
}

/** Writes xDS resources into etcd under one prefix; see the package README for the key layout. */
export interface EtcdWriter {
  /** The key prefix it writes under, normalized to end with `/`. */
  readonly prefix: string;
  /** Puts resources into one group in one transaction (one new revision). */
  put(group: string, resources: Iterable<ResourceInput>): Promise<WriteResult>;
  /** Deletes resources in one transaction. Missing ones are ignored. */
  delete(refs: Iterable<ResourceKey>): Promise<WriteResult>;
  /** Puts and deletes across groups in one transaction: every mirror sees all of it at once, or none. */
  update(change: { readonly put?: Iterable<GroupResource> | undefined; readonly delete?: Iterable<ResourceKey> | undefined }): Promise<WriteResult>;
  /**
   * Makes the whole prefix hold exactly `groups` in one transaction: puts what
   * is new or different, deletes everything else under the prefix (groups not
   * given included), leaves identical values alone. It is guarded against
   * concurrent writers (re-read and retried when the prefix changed between
   * its read and its write).
   */
  replace(groups: ReadonlyMap<string, Iterable<ResourceInput>> | Readonly<Record<string, Iterable<ResourceInput>>>): Promise<WriteResult>;
  /** Reads and decodes everything under the prefix at one revision. */
  read(): Promise<StoredResources>;
}

interface PendingPut {
  readonly key: string;
  readonly ref: ResourceKey;
  readonly bytes: Uint8Array;
}

class Writer implements EtcdWriter {
  readonly prefix: string;
  readonly #client: Etcd3;
  readonly #codec: ResourceCodecOptions;
  readonly #maxRequestBytes: number;
  readonly #maxTxnOps: number;
  readonly #attempts: number;
  readonly #logger: Logger;

  constructor(options: EtcdWriterOptions) {
    this.prefix = normalizePrefix(options.prefix);
    this.#client = options.client;
    this.#codec = {
      types: options.types ?? defaultResourceTypes,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      ...(options.validate === undefined ? {} : { validate: options.validate }),
    };
    this.#maxRequestBytes = options.maxRequestBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES;
    this.#maxTxnOps = options.maxTxnOps ?? ETCD_DEFAULT_MAX_TXN_OPS;
    this.#attempts = options.replaceAttempts ?? 5;
    this.#logger = options.logger ?? silentLogger;
  }

  put(group: string, resources: Iterable<ResourceInput>): Promise<WriteResult> {
    return this.update({ put: [...resources].map((resource) => ({ group, resource })) });
  }

  delete(refs: Iterable<ResourceKey>): Promise<WriteResult> {
    return this.update({ delete: refs });
  }

  async update(change: { readonly put?: Iterable<GroupResource> | undefined; readonly delete?: Iterable<ResourceKey> | undefined }): Promise<WriteResult> {
    const puts = this.#prepare([...(change.put ?? [])]);
    const deletes = [...(change.delete ?? [])].map((ref) => resourceKey(this.prefix, ref));
    // Unguarded: it always applies.
    const revision = (await this.#commit(puts, deletes, undefined, "update")) ?? 0;
    return { revision, put: puts.length, deleted: deletes.length, unchanged: 0 };
  }

  async replace(groups: ReadonlyMap<string, Iterable<ResourceInput>> | Readonly<Record<string, Iterable<ResourceInput>>>): Promise<WriteResult> {
    const entries = groups instanceof Map ? [...groups] : Object.entries(groups);
    const desired = this.#prepare(entries.flatMap(([group, resources]) => [...resources].map((resource) => ({ group, resource }))));
    for (let attempt = 1; ; attempt++) {
      let current: Awaited<ReturnType<typeof readPrefix>>;
      try {
        current = await readPrefix(this.#client, this.prefix);
      } catch (error) {
        throw storeErrorOf(error, `reading ${this.prefix} before replacing it`);
      }
      const held = new Map(current.values.map((v) => [v.key, v.value]));
      const puts = desired.filter((p) => {
        const bytes = held.get(p.key);
        return bytes === undefined || !Buffer.from(bytes).equals(p.bytes);
      });
      const wanted = new Set(desired.map((p) => p.key));
      const deletes = current.values.map((v) => v.key).filter((k) => !wanted.has(k));
      const unchanged = desired.length - puts.length;
      if (puts.length === 0 && deletes.length === 0) return { revision: current.revision, put: 0, deleted: 0, unchanged };
      const revision = await this.#commit(puts, deletes, current.revision, "replace");
      if (revision !== undefined) return { revision, put: puts.length, deleted: deletes.length, unchanged };
      if (attempt >= this.#attempts) {
        throw new EtcdStoreError("conflict", `replace of ${this.prefix} lost to concurrent writers ${attempt} times; try again`);
      }
      this.#logger.debug("replace raced with another writer; retrying", { prefix: this.prefix, attempt });
    }
  }

  async read(): Promise<StoredResources> {
    let contents: Awaited<ReturnType<typeof readPrefix>>;
    try {
      contents = await readPrefix(this.#client, this.prefix);
    } catch (error) {
      throw storeErrorOf(error, `reading ${this.prefix}`);
    }
    const groups = new Map<string, Map<string, Map<string, CachedResource>>>();
    const invalid: { key: string; reason: string }[] = [];
    for (const { key, value } of contents.values) {
      const ref = parseResourceKey(this.prefix, key);
      if (ref === undefined) {
        invalid.push({ key, reason: "not a resource key (<prefix><group>/<type>/<name>)" });
        continue;
      }
      try {
        const resource = decodeResourceValue(ref, value, this.#codec);
        const types = getOrAdd(groups, ref.group, () => new Map<string, Map<string, CachedResource>>());
        getOrAdd(types, ref.typeUrl, () => new Map<string, CachedResource>()).set(ref.name, resource);
      } catch (error) {
        invalid.push({ key, reason: (error as Error).message });
      }
    }
    return { revision: contents.revision, groups, invalid };
  }

  /** Encodes and checks every resource, refusing duplicates, before anything is sent. */
  #prepare(items: readonly GroupResource[]): PendingPut[] {
    const out: PendingPut[] = [];
    const seen = new Set<string>();
    for (const { group, resource } of items) {
      const prepared = encodeResource(group, resource, this.#codec);
      const ref = { group, typeUrl: prepared.typeUrl, name: prepared.name };
      const key = resourceKey(this.prefix, ref);
      if (seen.has(key)) {
        throw new EtcdStoreError("invalid-resource", `${prepared.typeUrl} "${prepared.name}" is given twice for group "${group}"`, {
          group,
          typeUrl: prepared.typeUrl,
          resourceName: prepared.name,
          key,
        });
      }
      seen.add(key);
      out.push({ key, ref, bytes: prepared.bytes });
    }
    return out;
  }

  #checkLimits(puts: readonly PendingPut[], deletes: readonly string[], guarded: boolean): void {
    const ops = puts.length + deletes.length;
    if (ops > this.#maxTxnOps) {
      throw new EtcdStoreError(
        "too-many-operations",
        `a transaction of ${ops} operations (${puts.length} puts, ${deletes.length} deletes) exceeds etcd's --max-txn-ops of ${this.#maxTxnOps}: raise it on every etcd member and set maxTxnOps to match, or write in smaller steps`,
      );
    }
    const sizes = puts.map((p) => ({ put: p, size: putOpSize(Buffer.byteLength(p.key), p.bytes.length) }));
    const total = txnRequestSize([
      ...sizes.map((s) => s.size),
      ...deletes.map((k) => deleteOpSize(Buffer.byteLength(k))),
      guarded ? rangeCompareSize(Buffer.byteLength(this.prefix), Buffer.byteLength(this.prefix) + 1) : 0,
    ]);
    if (total <= this.#maxRequestBytes) return;
    const largest = [...sizes].sort((a, b) => b.size - a.size);
    const top = largest[0];
    const describe = (p: PendingPut, size: number): string => `${p.ref.typeUrl} "${p.ref.name}" of group "${p.ref.group}" (${size} bytes with its key)`;
    if (top !== undefined && txnRequestSize([top.size]) > this.#maxRequestBytes) {
      throw new EtcdStoreError(
        "too-large",
        `${describe(top.put, top.size)} is larger than etcd's request limit of ${this.#maxRequestBytes} bytes (--max-request-bytes; etcd recommends values well under 1.5 MiB): split the resource or raise the limit`,
        { key: top.put.key, group: top.put.ref.group, typeUrl: top.put.ref.typeUrl, resourceName: top.put.ref.name },
      );
    }
    throw new EtcdStoreError(
      "too-large",
      `a transaction of ${puts.length} puts and ${deletes.length} deletes is ${total} bytes, over etcd's request limit of ${this.#maxRequestBytes} bytes (--max-request-bytes); the largest: ${largest
        .slice(0, 3)
        .map((s) => describe(s.put, s.size))
        .join(", ")}: write in smaller steps or raise the limit`,
      top === undefined ? {} : { key: top.put.key, group: top.put.ref.group, typeUrl: top.put.ref.typeUrl, resourceName: top.put.ref.name },
    );
  }

  /**
   * One transaction. With `guardRevision`, it applies only if no key under the
   * prefix changed after that revision, and resolves `undefined` when one did.
   */
  async #commit(puts: readonly PendingPut[], deletes: readonly string[], guardRevision: number | undefined, doing: string): Promise<number | undefined> {
    this.#checkLimits(puts, deletes, guardRevision !== undefined);
    const success: IRequestOp[] = [
      ...deletes.map((key) => ({ request_delete_range: { key: Buffer.from(key) } })),
      ...puts.map((p) => ({ request_put: { key: Buffer.from(p.key), value: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength) } })),
    ];
    const prefix = Buffer.from(this.prefix);
    const what = `${doing} of ${puts.length} puts and ${deletes.length} deletes under ${this.prefix}`;
    try {
      const response = await this.#client.kv.txn({
        compare:
          guardRevision === undefined
            ? []
            : [{ target: "Mod", result: "Less", key: prefix, range_end: prefixRangeEnd(prefix), mod_revision: guardRevision + 1 }],
        success,
      });
      if (!response.succeeded) return undefined;
      const revision = Number(response.header.revision);
      this.#logger.debug("etcd write", { prefix: this.prefix, revision, puts: puts.length, deletes: deletes.length });
      return revision;
    } catch (error) {
      throw storeErrorOf(error, what);
    }
  }
}

/** Writes resources under a prefix of etcd; see {@link EtcdWriter}. */
export function createEtcdWriter(options: EtcdWriterOptions): EtcdWriter {
  return new Writer(options);
}
