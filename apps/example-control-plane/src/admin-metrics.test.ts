import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { envoyRegistry } from "@xdskit/envoy-api";
import { ClientStatusDiscoveryService } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfigDir } from "./cli-options.js";
import { type ControlPlane, startControlPlane } from "./control-plane.js";
import { loopbackOptions } from "./control-plane.test-helper.js";

let dir = "";
let cp: ControlPlane;
let client: XdsClient;
let logLines: Record<string, unknown>[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cp-admin-test-"));
  cpSync(defaultConfigDir, dir, { recursive: true });
  logLines = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  cp = await startControlPlane({
    ...loopbackOptions(dir, envoyRegistry, pino({ level: "info" }, sink)),
    adminPort: 0,
  });
  client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${cp.port}` }), node: { id: "envoy-test", cluster: "any" } });
});

afterEach(async () => {
  client.close();
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the admin port, metrics, CSDS and logs", () => {
  it("serves the admin page, its status, Prometheus metrics, and CSDS on the xDS port", async () => {
    client.subscribe(CLUSTER_TYPE_URL);
    client.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
    await client.waitFor((c) => c.state(CLUSTER_TYPE_URL).acks > 0 && c.state(ENDPOINT_TYPE_URL).acks > 0);
    const admin = cp.admin?.url ?? "";
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(admin)).text()).toContain("<h1>xDS clients</h1>");
    const status = (await (await fetch(`${admin}api/status`)).json()) as { streams: { node?: { id: string } }[] };
    expect(status.streams.map((s) => s.node?.id)).toEqual(["envoy-test"]);

    // The client sent its ACKs; wait until the server took them.
    await until(() => cp.server.context.clientStatus()[0]?.types.every((t) => t.state === "acked") === true);
    const text = await (await fetch(`${admin}metrics`)).text();
    // The exporter adds an otel_scope_name label to every series.
    expect(text).toMatch(/^xds_server_streams\{xds_protocol="sotw",xds_service="ads",otel_scope_name="@xdskit\/server"\} 1$/m);
    expect(text).toMatch(/^xds_server_responses_total\{xds_protocol="sotw",xds_type="envoy\.config\.cluster\.v3\.Cluster",[^}]*\} 1$/m);
    expect(text).toMatch(/^xds_server_response_bytes_total\{xds_protocol="sotw",xds_type="envoy\.config\.cluster\.v3\.Cluster",[^}]*\} [1-9]\d*$/m);
    expect(text).toMatch(/^xds_server_acks_total\{xds_protocol="sotw",xds_type="envoy\.config\.endpoint\.v3\.ClusterLoadAssignment",[^}]*\} 1$/m);
    // Histograms carry no attributes: two responses, two ACKs.
    expect(text).toMatch(/^xds_server_push_duration_count\{otel_scope_name="@xdskit\/server"\} 2$/m);
    expect(text).toMatch(/^xds_server_convergence_duration_count\{otel_scope_name="@xdskit\/server"\} 2$/m);
    expect(text).toMatch(/^xds_server_response_resources_sum\{otel_scope_name="@xdskit\/server"\} 2$/m);
    expect(text).toMatch(/^xds_cache_resources\{xds_group="default",xds_type="envoy\.config\.listener\.v3\.Listener",[^}]*\} 1$/m);
    expect(text).toMatch(/^xds_cache_watches\{xds_group="default",xds_protocol="sotw",[^}]*\} 2$/m);

    const csds = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${cp.port}` }));
    const config = (await csds.fetchClientStatus({})).config;
    expect(config.map((c) => [c.node?.id, c.genericXdsConfigs.map((g) => g.name)])).toEqual([["envoy-test", ["upstream", "upstream"]]]);
  });

  it("logs an edit as the types that changed, not the whole version map", async () => {
    client.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
    await client.waitFor((c) => c.state(ENDPOINT_TYPE_URL).acks > 0);
    const file = join(dir, "endpoints.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("port_value: 18080", "port_value: 18081"));
    expect(cp.reload().ok).toBe(true);
    const line = logLines.filter((l) => l["msg"] === "serving new config").at(-1);
    expect(line?.["changed"]).toEqual([expect.stringMatching(/^ClusterLoadAssignment@/)]);
    expect(logLines.some((l) => l["level"] === 30 && "versions" in l)).toBe(false);
  });
});
