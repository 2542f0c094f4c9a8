import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshotCache } from "@xdskit/cache-snapshot";
import { startEtcdCluster, type EtcdCluster } from "@xdskit/etcd-tool";
import type { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cluster, recordingLogger } from "./fixtures.test-helper.js";
import { createEtcdClient, createEtcdWriter, createSnapshotMirror, EtcdStoreError, type SnapshotMirror } from "./index.js";
import { mirrorUpdates } from "./mirror-events.test-helper.js";

let etcd: EtcdCluster;
let client: Etcd3;
let mirror: SnapshotMirror | undefined;

beforeAll(async () => {
  etcd = await startEtcdCluster({ size: 3, name: "store-etcd-cluster" });
  client = createEtcdClient({ endpoints: etcd.endpoints, callTimeoutMs: 2_000 });
});
afterAll(async () => {
  await mirror?.close();
  client?.close();
  await etcd?.stop();
});

/** The member etcd reports as its leader. */
async function leader(cluster: EtcdCluster) {
  const ids = await Promise.all(cluster.members.map((m) => m.id()));
  const status = (await (await fetch(`${cluster.endpoints[0]}/v3/maintenance/status`, { method: "POST", body: "{}" })).json()) as { leader: string };
  const member = cluster.members[ids.indexOf(status.leader)];
  if (member === undefined) throw new Error(`leader ${status.leader} is not one of ${ids.join(", ")}`);
  return member;
}

describe("a mirror and a writer on a 3-member etcd cluster", () => {
  it("a write right after the leader is killed succeeds, once the others elect a new one", async () => {
    const writer = createEtcdWriter({ client, prefix: "/leader/" });
    await writer.put("edge", [cluster("before")]);
    const killed = await leader(etcd);
    await killed.kill();
    try {
      // In flight while no leader exists, the first attempt times out; the client tries another member.
      const result = await writer.put("edge", [cluster("after")]);
      expect(result.put).toBe(1);
      expect([...((await writer.read()).groups.get("edge")?.get(CLUSTER_TYPE_URL)?.keys() ?? [])].sort()).toEqual(["after", "before"]);
    } finally {
      await killed.start();
    }
  });

  it("keep working when the member serving the watch is killed, and when the whole cluster is down and back", async () => {
    const cache = createSnapshotCache();
    const updates = mirrorUpdates();
    const logger = recordingLogger();
    const prefix = "/failover/";
    const writer = createEtcdWriter({ client, prefix });
    mirror = createSnapshotMirror({ client, cache, prefix, logger, onUpdate: updates.onUpdate });
    const names = () => [...(cache.getSnapshot("edge")?.resources(CLUSTER_TYPE_URL).keys() ?? [])].sort();

    await writer.replace({ edge: [cluster("web")] });
    await mirror.start();
    const first = await writer.put("edge", [cluster("a")]);
    await updates.next("the first write", (u) => u.revision === first.revision);

    // One member down: the one this mirror's watch is on.
    const ids = await Promise.all(etcd.members.map((m) => m.id()));
    const watched = etcd.members[ids.indexOf(mirror.status().member ?? "")];
    if (watched === undefined) throw new Error(`the watch's member ${mirror.status().member} is not one of ${ids.join(", ")}`);
    await watched.kill();
    const second = await writer.put("edge", [cluster("b")]);
    await updates.next("the write after a member died", (u) => u.revision === second.revision);
    expect(names()).toEqual(["a", "b", "web"]);
    expect(mirror.status()).toMatchObject({ loads: 1 });
    expect(mirror.status().resumes).toBeGreaterThanOrEqual(1);
    expect(mirror.status().member).not.toBe(ids[etcd.members.indexOf(watched)]);
    await watched.start();

    // The whole cluster down: writes fail clearly, the cache keeps serving.
    await etcd.killAll();
    const failed = await writer.put("edge", [cluster("lost")]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(EtcdStoreError);
    expect((failed as EtcdStoreError).code).toBe("unavailable");
    expect(names()).toEqual(["a", "b", "web"]);

    await etcd.startAll();
    // The mirror resumes from its revision: the next write reaches it without a reload.
    // The client skips members that failed for a 1 s cooldown: retry until it tries them again.
    let third: Awaited<ReturnType<typeof writer.put>> | undefined;
    for (let attempt = 0; third === undefined; attempt++) {
      third = await writer.put("edge", [cluster("c")]).catch((e: unknown) => {
        if (attempt > 50 || !(e instanceof EtcdStoreError) || e.code !== "unavailable") throw e;
        return undefined;
      });
      if (third === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    await updates.next("the write after the cluster came back", (u) => u.revision === third?.revision);
    expect(names()).toEqual(["a", "b", "c", "web"]);
    expect(mirror.status().loads).toBe(1);
    expect(updates.seen.some((u) => u.reason === "compacted")).toBe(false);
  });
});
