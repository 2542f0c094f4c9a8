import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { startCuttableProxy } from "@xdskit/etcd-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEtcd, type TestEtcd } from "./etcd.test-helper.js";
import { cluster, endpoints, listener } from "./fixtures.test-helper.js";
import { createEtcdClient, createEtcdWriter, EtcdStoreError, resourceKey, type WriteResult } from "./index.js";
import { readPrefix } from "./read-prefix.js";
import { createValidator } from "@xdskit/validate";

let t: TestEtcd;
// A small server-side request limit, so the size tests need no large buffers.
const serverMaxRequestBytes = 64 * 1024;

beforeAll(async () => {
  t = await startTestEtcd({ maxRequestBytes: serverMaxRequestBytes });
});
afterAll(async () => {
  await t?.stop();
});

async function rejection(p: Promise<unknown>): Promise<EtcdStoreError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof EtcdStoreError) return error;
    throw error;
  }
  throw new Error("expected an EtcdStoreError");
}

/** A cluster whose encoding is about `bytes` long (an alt_stat_name of that size). */
const bigCluster = (name: string, bytes: number) => Object.assign(cluster(name), { altStatName: "x".repeat(bytes) });

describe("the etcd writer", () => {
  it("writes an update across groups as one transaction: every key gets the same revision", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({ client: t.client, prefix });
    const result = await writer.update({
      put: [
        { group: "edge", resource: cluster("web") },
        { group: "edge", resource: endpoints("web", 8080) },
        { group: "internal", resource: listener("in") },
      ],
    });
    expect(result).toMatchObject({ put: 3, deleted: 0 });
    const stored = await readPrefix(t.client, prefix);
    expect(stored.values.map((v) => v.key).sort()).toEqual([
      `${prefix}edge/envoy.config.cluster.v3.Cluster/web`,
      `${prefix}edge/envoy.config.endpoint.v3.ClusterLoadAssignment/web`,
      `${prefix}internal/envoy.config.listener.v3.Listener/in`,
    ]);
    expect(new Set(stored.values.map((v) => v.modRevision))).toEqual(new Set([result.revision]));

    const removed = await writer.delete([{ group: "internal", typeUrl: LISTENER_TYPE_URL, name: "in" }]);
    expect(removed.revision).toBe(result.revision + 1);
    const read = await writer.read();
    expect([...read.groups.keys()]).toEqual(["edge"]);
    expect([...(read.groups.get("edge")?.get(ENDPOINT_TYPE_URL)?.keys() ?? [])]).toEqual(["web"]);
  });

  it("replace makes the prefix hold exactly the given groups, writing only what differs", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({ client: t.client, prefix });
    await writer.put("old", [cluster("gone")]);
    const first = await writer.replace({ edge: [cluster("web"), cluster("api")], internal: [listener("in")] });
    expect(first).toMatchObject({ put: 3, deleted: 1, unchanged: 0 });
    const again = await writer.replace({ edge: [cluster("web"), cluster("api")], internal: [listener("in")] });
    expect(again).toEqual({ revision: first.revision, put: 0, deleted: 0, unchanged: 3 });
    const changed = await writer.replace(new Map([["edge", [cluster("web", 2), cluster("api")]]]));
    expect(changed).toMatchObject({ put: 1, deleted: 1, unchanged: 1, revision: first.revision + 1 });
    const read = await writer.read();
    expect([...read.groups.keys()]).toEqual(["edge"]);
    expect(read.groups.get("edge")?.get(CLUSTER_TYPE_URL)?.get("web")?.message).toMatchObject({ connectTimeout: { seconds: 2n } });
  });

  it("replace re-reads and retries when another writer changes the prefix between its read and its write", async () => {
    const prefix = t.prefix();
    const client = createEtcdClient({ endpoints: t.etcd.endpoints });
    const other = createEtcdWriter({ client: t.client, prefix });
    const writer = createEtcdWriter({ client, prefix });
    // The first transaction of `writer` is preceded by another writer's put: its guard must fail.
    const txn = client.kv.txn.bind(client.kv);
    let txns = 0;
    client.kv.txn = async (request, options) => {
      if (txns++ === 0) await other.put("edge", [cluster("sneaky")]);
      return txn(request, options);
    };
    try {
      const result = await writer.replace({ edge: [cluster("web")] });
      expect(txns).toBe(2);
      expect(result).toMatchObject({ put: 1, deleted: 1 });
      const read = await writer.read();
      expect([...(read.groups.get("edge")?.get(CLUSTER_TYPE_URL)?.keys() ?? [])]).toEqual(["web"]);
    } finally {
      client.close();
    }
  });

  it("refuses a resource over the request limit before sending, naming it, and writes nothing", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({ client: t.client, prefix, maxRequestBytes: serverMaxRequestBytes });
    const e = await rejection(writer.put("edge", [cluster("small"), bigCluster("huge", 70_000)]));
    expect(e.code).toBe("too-large");
    expect(e.message).toMatch(/^type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster "huge" of group "edge" \(\d+ bytes with its key\) is larger than etcd's request limit of 65536 bytes/);
    expect(e).toMatchObject({ group: "edge", resourceName: "huge", key: `${prefix}edge/envoy.config.cluster.v3.Cluster/huge` });
    // Together over the limit, each under it: the message lists the largest.
    const many = await rejection(writer.put("edge", [bigCluster("a", 30_000), bigCluster("b", 30_000), bigCluster("c", 20_000)]));
    expect(many.message).toMatch(/^a transaction of 3 puts and 0 deletes is \d+ bytes, over etcd's request limit of 65536 bytes .*"a" of group "edge"/);
    expect((await readPrefix(t.client, prefix)).values).toEqual([]);
  });

  it("maps etcd's own refusals (a server limit below the writer's) to the same typed errors", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({ client: t.client, prefix, maxTxnOps: 1_000 });
    const big = await rejection(writer.put("edge", [bigCluster("huge", 70_000)]));
    expect(big.code).toBe("too-large");
    expect(big.message).toMatch(/etcd refused the request as too large/);
    const many = Array.from({ length: 129 }, (_, i) => cluster(`c${i}`));
    expect((await rejection(writer.put("edge", many))).code).toBe("too-many-operations");
    const guarded = createEtcdWriter({ client: t.client, prefix });
    const e = await rejection(guarded.put("edge", many));
    expect(e.code).toBe("too-many-operations");
    expect(e.message).toMatch(/a transaction of 129 operations \(129 puts, 0 deletes\) exceeds etcd's --max-txn-ops of 128/);
  });

  it("refuses resources the validator or the decode check rejects, and duplicates, naming them", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({
      client: t.client,
      prefix,
      validate: createValidator(),
    });
    const bad = await rejection(writer.put("edge", [cluster("ok"), cluster("bad", 0)]));
    expect(bad.code).toBe("invalid-resource");
    expect(bad.message).toBe('Cluster "bad" of group "edge": connect_timeout: must be greater than 0s (duration.gt)');
    const twice = await rejection(writer.update({ put: [{ group: "g", resource: cluster("x") }, { group: "g", resource: cluster("x") }] }));
    expect(twice.message).toMatch(/"x" is given twice for group "g"/);
    expect(() => resourceKey(prefix, { group: "", typeUrl: CLUSTER_TYPE_URL, name: "x" })).toThrow(EtcdStoreError);
    expect((await readPrefix(t.client, prefix)).values).toEqual([]);
  });

  it("says etcd is unavailable, quickly, when it cannot be reached", async () => {
    const proxy = await startCuttableProxy(Number(new URL(t.etcd.endpoints[0] ?? "").port));
    const client = createEtcdClient({ endpoints: [proxy.url], callTimeoutMs: 2_000 });
    try {
      const writer = createEtcdWriter({ client, prefix: t.prefix() });
      await writer.put("edge", [cluster("web")]);
      proxy.cut();
      const started = Date.now();
      const e = await rejection(writer.put("edge", [cluster("api")]));
      expect(e.code).toBe("unavailable");
      expect(e.message).toMatch(/^update of 1 puts and 0 deletes under \/test-.*: etcd is unavailable/);
      expect(Date.now() - started).toBeLessThan(10_000);
      proxy.restore();
      let result: WriteResult | undefined;
      // The client skips the failed endpoint for a short cooldown, then uses it again.
      for (let i = 0; result === undefined && i < 50; i++) {
        result = await writer.put("edge", [cluster("api")]).catch(() => undefined);
        if (result === undefined) await new Promise((r) => setTimeout(r, 200));
      }
      expect(result?.put).toBe(1);
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
