import { afterAll, describe, expect, it } from "vitest";
import { etcdPortRange, etcdVersion, startCuttableProxy, startEtcd, startEtcdCluster, type EtcdCluster } from "./index.js";

const started: EtcdCluster[] = [];
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

/**
 * A put over etcd's JSON gateway. A put in flight when the leader dies times out
 * ("request timed out, possibly due to previous leader failure", 503) once a new
 * leader is elected; like etcd's own clients, try again (a put is idempotent).
 */
async function put(url: string, key: string, value: string): Promise<void> {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  let res: Response | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    res = await fetch(`${url}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: b64(key), value: b64(value) }) });
    if (res.status !== 503) break;
  }
  expect(res?.status).toBe(200);
}

async function get(url: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${url}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from(key).toString("base64") }) });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const v = body.kvs?.[0]?.value;
  return v === undefined ? undefined : Buffer.from(v, "base64").toString();
}

describe("a single etcd node", () => {
  it("serves the pinned version on a loopback port below the ephemeral range, and its data survives a restart", async () => {
    const etcd = await startEtcd({ name: "single" });
    started.push(etcd);
    const [member] = etcd.members;
    if (member === undefined) throw new Error("no member");
    const port = Number(new URL(member.clientUrl).port);
    const range = etcdPortRange();
    expect(port).toBeGreaterThanOrEqual(range.low);
    expect(port).toBeLessThanOrEqual(range.high);
    const version = (await (await fetch(`${member.clientUrl}/version`)).json()) as { etcdserver: string };
    expect(version.etcdserver).toBe(etcdVersion);
    await put(member.clientUrl, "k", "v1");
    await member.kill();
    expect(member.running()).toBe(false);
    await expect(fetch(`${member.clientUrl}/health`)).rejects.toThrow();
    await member.start();
    expect(await get(member.clientUrl, "k")).toBe("v1");
  });

  it("two clusters started at once get distinct ports", async () => {
    const [a, b] = await Promise.all([startEtcd({ name: "a" }), startEtcd({ name: "b" })]);
    started.push(a, b);
    expect(a.endpoints[0]).not.toBe(b.endpoints[0]);
    await put(a.endpoints[0] ?? "", "who", "a");
    expect(await get(b.endpoints[0] ?? "", "who")).toBeUndefined();
  });
});

describe("a 3-member etcd cluster", () => {
  it("keeps serving writes with one member killed, and the member catches up when restarted", async () => {
    const cluster = await startEtcdCluster({ size: 3, name: "three" });
    started.push(cluster);
    const [m1, m2, m3] = cluster.members;
    if (m1 === undefined || m2 === undefined || m3 === undefined) throw new Error("members");
    await put(m1.clientUrl, "a", "1");
    await m1.kill();
    await put(m2.clientUrl, "b", "2");
    expect(await get(m3.clientUrl, "b")).toBe("2");
    await m1.start();
    expect(await get(m1.clientUrl, "b")).toBe("2");
    await cluster.killAll();
    expect(cluster.members.every((m) => !m.running())).toBe(true);
    await cluster.startAll();
    expect(await get(m2.clientUrl, "a")).toBe("1");
  });
});

describe("the cuttable proxy", () => {
  it("forwards, cuts and restores", async () => {
    const etcd = started[0];
    if (etcd === undefined) throw new Error("no etcd");
    const target = Number(new URL(etcd.endpoints[0] ?? "").port);
    const proxy = await startCuttableProxy(target);
    try {
      expect(await get(proxy.url, "k")).toBe("v1");
      proxy.cut();
      await expect(fetch(`${proxy.url}/health`)).rejects.toThrow();
      proxy.restore();
      expect(await get(proxy.url, "k")).toBe("v1");
    } finally {
      await proxy.close();
    }
  });
});
