import type { Etcd3 } from "etcd3";
import { prefixRangeEnd } from "./key-layout.js";

/** One key and its value as read from etcd. */
export interface StoredValue {
  readonly key: string;
  readonly value: Uint8Array;
  readonly modRevision: number;
}

/** Everything under a prefix at one revision. */
export interface PrefixContents {
  readonly revision: number;
  readonly values: readonly StoredValue[];
}

/**
 * Reads every key under `prefix`, `pageSize` keys per request, all pages at
 * the revision of the first one, so the result is one consistent state even
 * when writes land between pages.
 */
export async function readPrefix(client: Etcd3, prefix: string, options: { pageSize?: number; keysOnly?: boolean } = {}): Promise<PrefixContents> {
  const pageSize = options.pageSize ?? 500;
  const end = prefixRangeEnd(Buffer.from(prefix));
  const values: StoredValue[] = [];
  let start = Buffer.from(prefix);
  let revision = 0;
  for (;;) {
    const page = await client.kv.range({
      key: start,
      range_end: end,
      limit: pageSize,
      ...(revision === 0 ? {} : { revision }),
      ...(options.keysOnly === true ? { keys_only: true } : {}),
    });
    if (revision === 0) revision = Number(page.header.revision);
    for (const kv of page.kvs) values.push({ key: kv.key.toString("utf8"), value: kv.value, modRevision: Number(kv.mod_revision) });
    const last = page.kvs.at(-1);
    if (!page.more || last === undefined) break;
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { revision, values };
}
