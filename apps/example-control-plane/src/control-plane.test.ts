import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { envoyRegistry } from "@xdskit/envoy-api";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { defaultConfigDir } from "./cli-options.js";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { loopbackOptions } from "./control-plane.test-helper.js";

let dir = "";
let cp: ControlPlane;
let client: XdsClient;
let logLines: { msg: string; problems?: string[] }[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cp-test-"));
  cpSync(defaultConfigDir, dir, { recursive: true });
  logLines = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(l) as { msg: string });
      done();
    },
  });
  cp = await startControlPlane({
    ...loopbackOptions(dir, envoyRegistry, pino({ level: "info" }, sink)),
  });
  client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${cp.port}` }), node: { id: "envoy-test", cluster: "any" } });
});

afterEach(async () => {
  client.close();
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function subscribeAll(): Promise<void> {
  client.subscribe(CLUSTER_TYPE_URL);
  client.subscribe(LISTENER_TYPE_URL);
  client.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
  client.subscribe(ROUTE_TYPE_URL, ["default"]);
  await client.waitFor((c) => [CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL, ROUTE_TYPE_URL].every((t) => c.state(t).resources.size === 1));
}

const editFile = (name: string, edit: (text: string) => string): void => writeFileSync(join(dir, name), edit(readFileSync(join(dir, name), "utf8")));

describe("example control plane", () => {
  it("serves the default config over ADS, with self config sources resolved to ADS", async () => {
    await subscribeAll();
    expect([...client.state(CLUSTER_TYPE_URL).resources.keys()]).toEqual(["upstream"]);
    expect([...client.state(LISTENER_TYPE_URL).resources.keys()]).toEqual(["http"]);
    const { fromBinary } = await import("@bufbuild/protobuf");
    const { ClusterSchema } = await import("@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb");
    const any = client.state(CLUSTER_TYPE_URL).resources.get("upstream")?.any;
    expect(any && fromBinary(ClusterSchema, any.value).edsClusterConfig?.edsConfig?.configSourceSpecifier.case).toBe("ads");
  });

  it("reloads an edit, re-sending only the type that changed", async () => {
    await subscribeAll();
    const before = new Map([CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL, ROUTE_TYPE_URL].map((t) => [t, client.state(t).version]));
    editFile("endpoints.yaml", (t) => t.replace("port_value: 18080", "port_value: 18081"));
    await client.waitFor((c) => c.state(ENDPOINT_TYPE_URL).version !== before.get(ENDPOINT_TYPE_URL));
    for (const t of [CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL]) expect(client.state(t).version).toBe(before.get(t));
  });

  it("keeps serving the last good config through a bad edit, reporting file, field and reason, then takes the fix", async () => {
    await subscribeAll();
    const good = client.state(CLUSTER_TYPE_URL).version;
    editFile("clusters.yaml", (t) => t.replace("connect_timeout: 1s", "connect_timout: 2s"));
    const rejected = cp.reload();
    expect(rejected.ok).toBe(false);
    expect(rejected.ok ? [] : rejected.problems).toEqual([
      {
        file: "clusters.yaml",
        fieldPath: "[0].connect_timout",
        line: 4,
        reason: 'unknown field "connect_timout" in envoy.config.cluster.v3.Cluster (did you mean "connect_timeout"?)',
      },
    ]);
    await vi.waitFor(() => expect(logLines.some((l) => l.msg.startsWith("config rejected") && l.problems?.[0]?.startsWith("clusters.yaml:4 at [0].connect_timout"))).toBe(true));
    expect(client.state(CLUSTER_TYPE_URL).version).toBe(good);

    editFile("clusters.yaml", (t) => t.replace("connect_timout: 2s", "connect_timeout: 2s"));
    await client.waitFor((c) => c.state(CLUSTER_TYPE_URL).version !== good);
  });

  it("refuses a resource Envoy would reject (validation), naming file, field path and rule, and keeps serving the last good one", async () => {
    await subscribeAll();
    const good = client.state(CLUSTER_TYPE_URL).version;
    editFile("clusters.yaml", (t) => t.replace("connect_timeout: 1s", "connect_timeout: 0s"));
    const r = cp.reload();
    expect(r.ok ? [] : r.problems).toEqual([
      { file: "clusters.yaml", fieldPath: "[0].connect_timeout", reason: 'Cluster "upstream" connect_timeout: must be greater than 0s (duration.gt)' },
    ]);
    expect(client.state(CLUSTER_TYPE_URL).version).toBe(good);
    expect(cp.store?.versions("default")?.[CLUSTER_TYPE_URL]).toBe(good);
  });

  it("refuses a broken reference, naming it, and keeps the listener it had", async () => {
    await subscribeAll();
    const listeners = client.state(LISTENER_TYPE_URL).version;
    editFile("listeners.yaml", (t) => t.replace("route_config_name: default", "route_config_name: missing"));
    const r = cp.reload();
    expect(r.ok ? [] : r.problems).toEqual([
      { file: "listeners.yaml", fieldPath: "[0]", reason: 'Listener "http": refers to RouteConfiguration "missing", which the snapshot does not hold (reference.missing)' },
    ]);
    expect(client.state(LISTENER_TYPE_URL).version).toBe(listeners);
    expect(cp.store?.versions("default")?.[LISTENER_TYPE_URL]).toBe(listeners);
  });

  it("serves a node group from its subdirectory, with defaults underneath", async () => {
    mkdirSync(join(dir, "canary"));
    cpSync(join(dir, "endpoints.yaml"), join(dir, "canary", "endpoints.yaml"));
    editFile(join("canary", "endpoints.yaml"), (t) => t.replace("port_value: 18080", "port_value: 19090"));
    expect(cp.reload().ok).toBe(true);
    expect(cp.groups()).toEqual(["canary", "default"]);
    const canary = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${cp.port}` }), node: { id: "c-1", cluster: "canary" } });
    try {
      canary.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
      canary.subscribe(CLUSTER_TYPE_URL);
      await canary.waitFor((c) => c.state(ENDPOINT_TYPE_URL).resources.size === 1 && c.state(CLUSTER_TYPE_URL).resources.size === 1);
      expect(canary.state(ENDPOINT_TYPE_URL).version).not.toBe(cp.store?.versions("default")?.[ENDPOINT_TYPE_URL]);
      expect(canary.state(CLUSTER_TYPE_URL).version).toBe(cp.store?.versions("default")?.[CLUSTER_TYPE_URL]);
    } finally {
      canary.close();
    }
  });
});
