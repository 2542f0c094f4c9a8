import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshotCache } from "@xdskit/cache-snapshot";
import { startCuttableProxy } from "@xdskit/etcd-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEtcd, type TestEtcd } from "./etcd.test-helper.js";
import { cluster, endpoints, listener, recordingLogger } from "./fixtures.test-helper.js";
import { createEtcdClient, createEtcdWriter, createSnapshotMirror, resourceKey, type SnapshotMirror } from "./index.js";
import { mirrorUpdates } from "./mirror-events.test-helper.js";

let t: TestEtcd;
const mirrors: SnapshotMirror[] = [];

beforeAll(async () => {
  t = await startTestEtcd();
});
afterAll(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  await t?.stop();
});

function setup(options: { client?: ReturnType<typeof createEtcdClient> } = {}) {
  const prefix = t.prefix();
  const cache = createSnapshotCache();
  const logger = recordingLogger();
  const updates = mirrorUpdates();
  const mirror = createSnapshotMirror({ client: options.client ?? t.client, cache, prefix, logger, onUpdate: updates.onUpdate });
  mirrors.push(mirror);
  const writer = createEtcdWriter({ client: t.client, prefix });
  const names = (group: string, typeUrl: string) => [...(cache.getSnapshot(group)?.resources(typeUrl).keys() ?? [])].sort();
  return { prefix, cache, logger, updates, mirror, writer, names };
}

describe("the snapshot mirror", () => {
  it("loads the prefix into one snapshot per group, versioned by the load revision", async () => {
    const { cache, mirror, writer, names } = setup();
    const { revision } = await writer.replace({ edge: [cluster("web"), endpoints("web", 1)], internal: [listener("in")] });
    await mirror.start();
    expect(mirror.revision()).toBe(revision);
    expect(mirror.groups()).toEqual(["edge", "internal"]);
    expect(names("edge", CLUSTER_TYPE_URL)).toEqual(["web"]);
    expect(names("internal", LISTENER_TYPE_URL)).toEqual(["in"]);
    const edge = cache.getSnapshot("edge");
    for (const typeUrl of [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL]) expect(edge?.version(typeUrl)).toBe(String(revision));
    expect(mirror.status()).toMatchObject({ state: "watching", loads: 1, resumes: 0 });
  });

  it("applies each transaction atomically to every group it touches; untouched types keep their version", async () => {
    const { cache, mirror, writer, names, updates } = setup();
    const first = await writer.replace({ edge: [cluster("web"), endpoints("web", 1)], internal: [listener("in")] });
    await mirror.start();
    const snapshots: string[] = [];
    const set = cache.setSnapshot.bind(cache);
    cache.setSnapshot = (group, snapshot) => {
      snapshots.push(group);
      return set(group, snapshot);
    };
    const second = await writer.update({
      put: [
        { group: "edge", resource: endpoints("web", 2) },
        { group: "internal", resource: cluster("in-cluster") },
      ],
      delete: [{ group: "internal", typeUrl: LISTENER_TYPE_URL, name: "in" }],
    });
    await updates.next("the update", (u) => u.revision === second.revision);
    expect(snapshots.sort()).toEqual(["edge", "internal"]);
    const edge = cache.getSnapshot("edge");
    expect(edge?.version(ENDPOINT_TYPE_URL)).toBe(String(second.revision));
    expect(edge?.version(CLUSTER_TYPE_URL)).toBe(String(first.revision));
    expect(edge?.resources(ENDPOINT_TYPE_URL).get("web")?.message).toMatchObject({ endpoints: [{ lbEndpoints: [{}] }] });
    expect(names("internal", LISTENER_TYPE_URL)).toEqual([]);
    expect(names("internal", CLUSTER_TYPE_URL)).toEqual(["in-cluster"]);
    expect(cache.getSnapshot("internal")?.version(LISTENER_TYPE_URL)).toBe(String(second.revision));
  });

  it("gives a group whose resources are all deleted an empty snapshot and stops listing it", async () => {
    const { mirror, writer, names, updates } = setup();
    await writer.replace({ edge: [cluster("web")], internal: [listener("in")] });
    await mirror.start();
    const { revision } = await writer.replace({ edge: [cluster("web")] });
    await updates.next("the deletion", (u) => u.revision === revision);
    expect(mirror.groups()).toEqual(["edge"]);
    expect(names("internal", LISTENER_TYPE_URL)).toEqual([]);
  });

  it("logs a bad value with its key and skips it: the key keeps its last good resource, the rest is served", async () => {
    const { prefix, mirror, writer, names, logger, updates } = setup();
    await writer.replace({ edge: [cluster("web"), cluster("api")] });
    await mirror.start();
    const webKey = resourceKey(prefix, { group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "web" });
    const newKey = resourceKey(prefix, { group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "new" });
    await t.client.put(webKey).value("not a protobuf");
    await t.client.put(newKey).value(Buffer.from([0xff]));
    const { revision } = await writer.put("edge", [cluster("db")]);
    await updates.next("the good write after the bad ones", (u) => u.revision === revision);
    expect(names("edge", CLUSTER_TYPE_URL)).toEqual(["api", "db", "web"]);
    const skipped = logger.lines.filter((l) => l.level === "error");
    expect(skipped.map((l) => l.fields["key"])).toEqual([webKey, newKey]);
    expect(skipped[0]?.fields).toMatchObject({ servingLastGood: true, reason: expect.stringMatching(/^Cluster "web" of group "edge": the value \(14 bytes\) does not decode/) });
    expect(skipped[1]?.fields).toMatchObject({ servingLastGood: false });
    expect([...mirror.status().skipped.keys()]).toEqual([webKey, newKey]);
    // A good value heals the key.
    const healed = await writer.put("edge", [cluster("web", 3)]);
    await updates.next("the healing write", (u) => u.revision === healed.revision);
    expect([...mirror.status().skipped.keys()]).toEqual([newKey]);
  });

  it("resumes from the last revision after a disconnect: nothing missed, nothing reloaded", async () => {
    const proxy = await startCuttableProxy(Number(new URL(t.etcd.endpoints[0] ?? "").port));
    const client = createEtcdClient({ endpoints: [proxy.url] });
    try {
      const { mirror, writer, names, updates, logger } = setup({ client });
      await writer.replace({ edge: [cluster("web")] });
      await mirror.start();
      proxy.cut();
      await writer.put("edge", [cluster("a")]);
      await writer.put("edge", [cluster("b")]);
      const last = await writer.delete([{ group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "web" }]);
      proxy.restore();
      await updates.next("the writes made while cut off", (u) => u.revision === last.revision);
      expect(names("edge", CLUSTER_TYPE_URL)).toEqual(["a", "b"]);
      // One break, one resume (the failed reconnects while cut off are not resumes), no reload.
      expect(mirror.status()).toMatchObject({ loads: 1, resumes: 1, revision: last.revision, state: "watching" });
      expect(updates.seen.map((u) => u.reason)).not.toContain("compacted");
      expect(logger.lines.some((l) => l.level === "warn" && /resuming from the last revision/.test(l.message))).toBe(true);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("takes a catch-up larger than grpc-js's default 4 MiB message limit after a disconnect", async () => {
    const proxy = await startCuttableProxy(Number(new URL(t.etcd.endpoints[0] ?? "").port));
    const client = createEtcdClient({ endpoints: [proxy.url] });
    try {
      const { mirror, writer, names, updates } = setup({ client });
      await writer.replace({ edge: [cluster("web")] });
      await mirror.start();
      proxy.cut();
      // Six writes of ~1 MB each: etcd sends them back in one watch response of ~6 MB.
      let last = 0;
      for (let i = 0; i < 6; i++) last = (await writer.put("edge", [Object.assign(cluster(`big-${i}`), { altStatName: "x".repeat(1_000_000) })])).revision;
      proxy.restore();
      await updates.next("the big catch-up", (u) => u.revision === last);
      expect(names("edge", CLUSTER_TYPE_URL)).toHaveLength(7);
      expect(mirror.status().loads).toBe(1);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("reloads the whole prefix after compaction removed the revision to resume from, and says so", async () => {
    const proxy = await startCuttableProxy(Number(new URL(t.etcd.endpoints[0] ?? "").port));
    const client = createEtcdClient({ endpoints: [proxy.url] });
    try {
      const { mirror, writer, names, updates, logger } = setup({ client });
      await writer.replace({ edge: [cluster("web"), cluster("old")] });
      await mirror.start();
      const before = mirror.revision();
      proxy.cut();
      await writer.put("edge", [cluster("a")]);
      const last = await writer.delete([{ group: "edge", typeUrl: CLUSTER_TYPE_URL, name: "old" }]);
      await t.client.kv.compact({ revision: last.revision, physical: true });
      proxy.restore();
      const resync = await updates.next("the resync", (u) => u.reason === "compacted");
      expect(resync.revision).toBeGreaterThanOrEqual(last.revision);
      expect(names("edge", CLUSTER_TYPE_URL)).toEqual(["a", "web"]);
      expect(mirror.status().loads).toBe(2);
      const warning = logger.lines.find((l) => l.level === "warn" && /compacted/.test(l.message));
      expect(warning?.fields).toMatchObject({ resumeRevision: before + 1, compactRevision: last.revision });
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("keeps retrying the first load while etcd is unreachable, and stops on close", async () => {
    const proxy = await startCuttableProxy(Number(new URL(t.etcd.endpoints[0] ?? "").port));
    const client = createEtcdClient({ endpoints: [proxy.url], callTimeoutMs: 1_000 });
    try {
      proxy.cut();
      const { mirror, writer, logger, names } = setup({ client });
      await writer.replace({ edge: [cluster("web")] });
      const started = mirror.start();
      const attempts = () => logger.lines.filter((l) => /reading the prefix failed/.test(l.message)).length;
      while (attempts() < 2) await new Promise((r) => setTimeout(r, 50));
      proxy.restore();
      await started;
      expect(names("edge", CLUSTER_TYPE_URL)).toEqual(["web"]);
      await mirror.close();
      expect(mirror.status().state).toBe("closed");
      // A mirror closed before its first load says so to whoever awaits start().
      const never = createSnapshotMirror({ client, cache: createSnapshotCache(), prefix: "/never/" });
      proxy.cut();
      const pending = never.start();
      await never.close();
      await expect(pending).rejects.toMatchObject({ name: "EtcdStoreError", code: "closed" });
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
