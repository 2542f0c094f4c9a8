// Three control-plane replicas on a 3-member etcd cluster, six real Envoys whose xds_cluster lists
// all three (each with its own priority order), and the faults a fleet must survive.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { startEtcdCluster, type EtcdCluster } from "@xdskit/etcd-tool";
import { createEtcdClient } from "@xdskit/store-etcd";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStoreCommand } from "./app-process.js";
import { etcdGroup, servedBy } from "./compare-with-etcd.js";
import { eventually, startFleetEnvoy, type FleetEnvoy } from "./envoy-fleet.js";
import { writeFleetConfig } from "./fleet-config.js";
import { type Replica, startReplica, startReplicas } from "./replica.js";
import { startTraffic } from "./traffic.js";

let etcd: EtcdCluster;
let blue: Upstream;
let green: Upstream;
let work = "";
let configDir = "";
const replicas = new Map<string, Replica>();
const envoys: FleetEnvoy[] = [];

const apply = () => runStoreCommand(["apply", "-f", configDir, "--etcd-endpoints", etcd.endpoints.join(",")]);
const replica = (name: string): Replica => {
  const r = replicas.get(name);
  if (r === undefined) throw new Error(`no replica ${name}`);
  return r;
};
const envoy = (i: number): FleetEnvoy => {
  const e = envoys[i - 1];
  if (e === undefined) throw new Error(`no envoy e${i}`);
  return e;
};

/** Applies the config with `upstream` as the endpoint; resolves the etcd revision it made. */
async function route(upstream: Upstream): Promise<number> {
  writeFleetConfig(configDir, upstream.port);
  const r = await apply();
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const m = /revision (\d+)/.exec(r.stdout);
  return Number(m?.[1]);
}

/** Every Envoy routes to `upstream` (traffic) and holds its port in EDS (config_dump). */
async function allRouteTo(upstream: Upstream, which: readonly FleetEnvoy[] = envoys): Promise<void> {
  await Promise.all(
    which.map((e) =>
      eventually(`${e.nodeId} routing to ${upstream.name}`, async () => {
        const r = await e.get("/check");
        return r.status === 200 && r.body.startsWith(`${upstream.name} `) && (await e.edsPorts("app")).join() === String(upstream.port);
      }),
    ),
  );
}

async function matchesEtcd(r: Replica): Promise<void> {
  const { resources } = await etcdGroup(etcd.endpoints);
  expect(resources.size).toBe(4);
  expect(await servedBy(r.port, resources)).toEqual(resources);
}

beforeAll(async () => {
  etcd = await startEtcdCluster({ size: 3, name: "fleet" });
  [blue, green] = await Promise.all([startUpstream("blue"), startUpstream("green")]);
  work = mkdtempSync(join(tmpdir(), "xdskit-fleet-"));
  configDir = join(work, "config");
  await route(blue);
  const names = ["A", "B", "C"];
  for (const [i, r] of (await startReplicas(names, { etcdEndpoints: etcd.endpoints })).entries()) replicas.set(names[i] as string, r);
  const [a, b, c] = ["A", "B", "C"].map((n) => replica(n).port) as [number, number, number];
  // Two Envoys per replica at priority 0; their fallbacks differ so a failover spreads.
  const orders = [[a, b, c], [a, c, b], [b, c, a], [b, a, c], [c, a, b], [c, b, a]];
  for (const [i, order] of orders.entries()) envoys.push(await startFleetEnvoy(`e${i + 1}`, order));
}, 180_000);

afterAll(async () => {
  await Promise.all(envoys.map((e) => e.envoy.stop()));
  await Promise.all([...replicas.values()].map((r) => r.stop()));
  await Promise.all([blue?.close(), green?.close()]);
  await etcd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("three replicas on etcd behind six Envoys", () => {
  it("an apply reaches every Envoy, whichever replica serves it (traffic and config_dump)", async () => {
    await allRouteTo(blue);
    for (const [i, name] of ["A", "A", "B", "B", "C", "C"].entries()) {
      await eventually(`e${i + 1} on replica ${name}`, async () => (await envoy(i + 1).adsReplicaPort()) === replica(name).port);
    }
    const revision = await route(green);
    await allRouteTo(green);
    for (const r of replicas.values()) expect(Number((await r.waitForRevision(revision))["revision"])).toBeGreaterThanOrEqual(revision);
  });

  it("SIGKILL of the replica serving two Envoys: they move to the others and converge, and traffic through them never fails", async () => {
    const e1 = envoy(1);
    const e2 = envoy(2);
    const loops = [startTraffic(await e1.listenerPort(), "/during"), startTraffic(await e2.listenerPort(), "/during")];
    try {
      await replica("A").kill();
      // e1 falls back to B, e2 to C (their priority 1).
      await eventually("e1 on replica B", async () => (await e1.adsReplicaPort()) === replica("B").port);
      await eventually("e2 on replica C", async () => (await e2.adsReplicaPort()) === replica("C").port);
      await route(blue);
      await allRouteTo(blue);
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
    for (const l of loops) {
      expect(l.failures()).toEqual([]);
      expect(l.ok()).toBeGreaterThan(10);
    }
  });

  it("the killed replica restarts and catches up with what was applied while it was down", async () => {
    const { revision } = await etcdGroup(etcd.endpoints);
    const restarted = await startReplica("A", { etcdEndpoints: etcd.endpoints });
    replicas.set("A", restarted);
    await restarted.waitForRevision(revision);
    for (const r of replicas.values()) await matchesEtcd(r);
  });

  it("an etcd member dies: writes and every replica's watch go on, the watch resumed elsewhere without a reload", async () => {
    const b = replica("B");
    const watched = String(b.revisions().at(-1)?.["member"]);
    const ids = await Promise.all(etcd.members.map((m) => m.id()));
    const member = etcd.members[ids.indexOf(watched)];
    if (member === undefined) throw new Error(`replica B watches member ${watched}, not one of ${ids.join(", ")}`);
    await member.kill();
    try {
      const revision = await route(green);
      for (const r of replicas.values()) await r.waitForRevision(revision);
      const last = b.revisions().at(-1);
      expect(last).toMatchObject({ reason: "watch", loads: 1 });
      expect(String(last?.["member"])).not.toBe(watched);
      await allRouteTo(green);
    } finally {
      await member.start();
    }
  });

  it("the whole etcd cluster down: replicas keep serving, writers get a clear error; back up, every replica resumes and matches etcd", async () => {
    const before = await etcdGroup(etcd.endpoints);
    await etcd.killAll();
    const refused = await apply();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^unavailable: reading \/xdskit\/ before replacing it: etcd is unavailable/);
    // Envoys keep their config, and a proxy that connects now still gets the full config.
    for (const e of envoys) expect((await e.get("/down")).body).toMatch(/^green /);
    for (const r of replicas.values()) expect(await servedBy(r.port, before.resources)).toEqual(before.resources);

    await etcd.startAll();
    let revision = 0;
    await eventually("an apply after etcd came back", async () => {
      writeFleetConfig(configDir, blue.port);
      const r = await apply();
      revision = Number(/revision (\d+)/.exec(r.stdout)?.[1] ?? 0);
      return r.code === 0;
    });
    for (const r of replicas.values()) {
      await r.waitForRevision(revision);
      // Resumed from its revision: still the one load it did at start.
      expect(r.revisions().at(-1)).toMatchObject({ reason: "watch", loads: 1 });
      await matchesEtcd(r);
    }
    await allRouteTo(blue);
  });

  it("a bad value written straight into etcd is logged with its key and skipped; the rest is served", async () => {
    const good = await etcdGroup(etcd.endpoints);
    const key = "/xdskit/default/envoy.config.cluster.v3.Cluster/app";
    const client = createEtcdClient({ endpoints: etcd.endpoints });
    try {
      await client.put(key).value("this is not a Cluster");
    } finally {
      client.close();
    }
    for (const r of replicas.values()) {
      const line = await r.process.waitForLine("the bad value", (l) => l.msg.startsWith("etcd: skipped a bad value") && l["key"] === key);
      expect(line).toMatchObject({ servingLastGood: true, reason: expect.stringMatching(/^Cluster "app" of group "default": the value \(21 bytes\) does not decode/) });
      expect(await servedBy(r.port, good.resources)).toEqual(good.resources);
    }
    for (const e of envoys) expect((await e.get("/after-bad-value")).body).toMatch(/^blue /);
  });
});
