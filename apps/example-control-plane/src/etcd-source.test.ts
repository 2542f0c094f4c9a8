import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { envoyRegistry } from "@xdskit/envoy-api";
import { startEtcd, type EtcdCluster } from "@xdskit/etcd-tool";
import { createEtcdClient } from "@xdskit/store-etcd";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfigDir } from "./cli-options.js";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { loopbackOptions } from "./control-plane.test-helper.js";
import { startEtcdSource } from "./etcd-source.js";
import { toXdsLogger } from "./pino-logger.js";
import { runStoreCli } from "./store-cli.js";

let etcd: EtcdCluster;
let cp: ControlPlane;
let client: XdsClient;
let dir = "";
const logLines: { msg: string; key?: string; reason?: string }[] = [];
const quiet = { out: () => {}, err: () => {} };
const apply = () => runStoreCli(["apply", "-f", dir, "--etcd-endpoints", etcd.endpoints.join(",")], quiet);

beforeAll(async () => {
  etcd = await startEtcd({ name: "etcd-source" });
  dir = mkdtempSync(join(tmpdir(), "etcd-source-"));
  cpSync(defaultConfigDir, dir, { recursive: true });
  expect(await apply()).toBe(0);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(l) as { msg: string });
      done();
    },
  });
  const log = pino({ level: "info" }, sink);
  cp = await startControlPlane({
    ...loopbackOptions(dir, envoyRegistry, log),
    startSource: (cache) => startEtcdSource(cache, { endpoints: etcd.endpoints, prefix: "/xdskit/", registry: envoyRegistry, log, logger: toXdsLogger(log) }),
  });
  client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${cp.port}` }), node: { id: "envoy-test", cluster: "any" } });
});

afterAll(async () => {
  client?.close();
  await cp?.stop();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the control plane with --source etcd", () => {
  it("serves what apply wrote, follows the next apply, and skips a bad value written straight into etcd", async () => {
    client.subscribe(CLUSTER_TYPE_URL);
    client.subscribe(LISTENER_TYPE_URL);
    client.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
    client.subscribe(ROUTE_TYPE_URL, ["default"]);
    await client.waitFor((c) => [CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL, ROUTE_TYPE_URL].every((t) => c.state(t).resources.size === 1));
    expect(cp.groups()).toEqual(["default"]);
    expect(cp.store).toBeUndefined();

    const before = client.state(ENDPOINT_TYPE_URL).version;
    const clusters = client.state(CLUSTER_TYPE_URL).version;
    writeFileSync(join(dir, "endpoints.yaml"), readFileSync(join(dir, "endpoints.yaml"), "utf8").replace("port_value: 18080", "port_value: 18081"));
    expect(await apply()).toBe(0);
    await client.waitFor((c) => c.state(ENDPOINT_TYPE_URL).version !== before);
    expect(client.state(CLUSTER_TYPE_URL).version).toBe(clusters);

    const etcdClient = createEtcdClient({ endpoints: etcd.endpoints });
    try {
      const key = "/xdskit/default/envoy.config.cluster.v3.Cluster/upstream";
      await etcdClient.put(key).value("garbage");
      await etcdClient.put("/xdskit/default/envoy.config.cluster.v3.Cluster/extra").value(
        Buffer.from(readFileSync(join(dir, "clusters.yaml"), "utf8")), // YAML text is not a protobuf either
      );
      const skipped = () => logLines.filter((l) => l.msg.startsWith("etcd: skipped a bad value")).map((l) => l.key);
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 10_000;
        const check = () => (skipped().length >= 2 ? resolve() : Date.now() > deadline ? reject(new Error("no skip logged")) : setTimeout(check, 20));
        check();
      });
      expect(skipped()).toEqual([key, "/xdskit/default/envoy.config.cluster.v3.Cluster/extra"]);
      expect([...client.state(CLUSTER_TYPE_URL).resources.keys()]).toEqual(["upstream"]);
      expect(client.state(CLUSTER_TYPE_URL).version).toBe(clusters);
    } finally {
      etcdClient.close();
    }
  });
});
