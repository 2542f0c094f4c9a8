// The app binds its xDS port before it loads (main.ts: holdPort), so a proxy that connects while
// the config loads waits and is then served; and a start loads only what serving needs (not the
// store CLI's etcd client and YAML, not the Envoy bootstrap builder before the port is up).
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { envoyRegistry } from "@xdskit/envoy-api";
import { holdPort } from "@xdskit/server/hold-port";
import { LOG_LOADS_PRELOAD } from "@xdskit/test-support";
import { pino } from "pino";
import { afterAll, afterEach, expect, it } from "vitest";
import { type AppProcess, mainJs, startCommand } from "./app-process.test-helper.js";
import { defaultConfigDir } from "./cli-options.js";
import { type ControlPlane, startControlPlane } from "./control-plane.js";
import { loopbackOptions } from "./control-plane.test-helper.js";

const dir = mkdtempSync(join(tmpdir(), "app-held-port-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let cp: ControlPlane | undefined;
let client: XdsClient | undefined;
let app: AppProcess | undefined;
afterEach(async () => {
  client?.close();
  await cp?.stop();
  await app?.stop();
  client = undefined;
  cp = undefined;
  app = undefined;
});

it("serves a client that connected to the held port before the control plane started", async () => {
  const heldPort = await holdPort({ host: "127.0.0.1", port: 0 });
  client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${heldPort.port}` }), node: { id: "envoy-early", cluster: "any" } });
  client.subscribe(CLUSTER_TYPE_URL);
  client.subscribe(LISTENER_TYPE_URL);
  const config = mkdtempSync(join(dir, "config-"));
  cpSync(defaultConfigDir, config, { recursive: true });
  cp = await startControlPlane({ ...loopbackOptions(config, envoyRegistry, pino({ level: "silent" })), heldPort, watch: false });
  expect(cp.port).toBe(heldPort.port);
  expect(heldPort.taken).toBe(true);
  await client.waitFor((c) => c.state(CLUSTER_TYPE_URL).resources.size > 0 && c.state(LISTENER_TYPE_URL).resources.size > 0);
});

it("starts without loading the store CLI, etcd or YAML", async () => {
  const log = join(dir, "loaded.txt");
  app = startCommand(process.execPath, ["--import", LOG_LOADS_PRELOAD, mainJs, "--port", "0", "--no-envoy", "--no-admin", "--upstream-port", "0", "--log-format", "json"], {
    env: { LOAD_LOG: log },
  });
  await app.waitForOutput(/Ctrl-C stops everything\./, 60_000);
  const loaded = readFileSync(log, "utf8").trim().split("\n");
  expect(loaded.some((url) => url.endsWith("/dist/control-plane.js"))).toBe(true);
  expect(loaded.filter((url) => /\/(store-cli|etcd-source)\.js$|\/(etcd3|@xdskit\/store-etcd|store-etcd\/dist|yaml\/dist)\//.test(url))).toEqual([]);
});
