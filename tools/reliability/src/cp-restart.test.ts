// Fault: the control plane is SIGKILLed while a real Envoy is connected over ADS. Envoy keeps
// serving its last config (it "latches on to the previous configuration while retrying"), and when
// a new control plane comes up at the same address with a newer snapshot, Envoy reconnects and
// resyncs to it. Control planes run as their own processes (src/fixtures/cp-process.ts) on a unix
// socket: the same path again after a restart, where a released port could be taken by another
// process before the new control plane binds it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bootstrapFor, type EnvoyProcess, startEnvoy } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Child, spawnFixture } from "./support/child.js";
import { check, eventually } from "./support/eventually.js";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";

const NODE_ID = "restart-envoy";
const RESTARTS = 3;
const WORK_DIR = fileURLToPath(new URL("../.envoy-logs/cp-restart", import.meta.url));

describe("control plane killed and restarted under a real Envoy", () => {
  // Short: unix socket paths are limited to ~100 bytes.
  const socketDir = mkdtempSync(join(tmpdir(), "xdskit-cp-"));
  const xdsPath = join(socketDir, "xds.sock");
  let listenerPort = 0;
  let upstreams: Upstream[] = [];
  let envoy: EnvoyProcess | undefined;
  let cp: Child | undefined;
  let failed = false;

  const startCp = async (version: string, upstream: Upstream): Promise<Child> => {
    const child = spawnFixture("cp-process.ts", [JSON.stringify({ path: xdsPath, nodeId: NODE_ID, version, upstreamPort: upstream.port })]);
    await child.waitForLine(/^READY /);
    return child;
  };
  const connected = async (): Promise<number> => (await (envoy as EnvoyProcess).stats("control_plane.connected_state")).get("control_plane.connected_state") ?? -1;

  beforeAll(async () => {
    upstreams = [await startUpstream("upstream-1"), await startUpstream("upstream-2")];
    cp = await startCp("v1", upstreams[0] as Upstream);
    rmSync(WORK_DIR, { recursive: true, force: true });
    envoy = await startEnvoy({ name: "cp-restart", workDir: WORK_DIR, bootstrap: bootstrapFor({ mode: "ads", xdsPath, nodeId: NODE_ID }) });
    ({ http: listenerPort } = await envoy.waitForListenerPorts(["http"]));
  });

  afterAll(async () => {
    await cp?.kill();
    await envoy?.stop();
    for (const u of upstreams) await u.close();
    rmSync(socketDir, { recursive: true, force: true });
    if (!failed) rmSync(WORK_DIR, { recursive: true, force: true });
    else console.error(`[cp-restart] Envoy log kept at ${join(WORK_DIR, "envoy.log")}`);
  });

  it("keeps serving the last config with the control plane dead, then reconnects and serves the new one (3 kill/restart rounds)", async ({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
    const viaEnvoy = () => get(listenerPort, "/", { timeoutMs: 2_000 });
    const v1 = await eventually("Envoy serves v1", async () => {
      const r = await viaEnvoy();
      check(r.status === 200 && r.headers["x-config-version"] === "v1", `status ${r.status}, version ${r.headers["x-config-version"]}`);
      return r;
    }, 30_000, 200);
    expect(v1.body).toBe("upstream-1 GET /");

    // Three kill/restart rounds: v1 → v2 → v3 → v4, alternating upstreams.
    for (let n = 2; n <= RESTARTS + 1; n++) {
      const before = `v${n - 1}`;
      const after = `v${n}`;
      const upstream = upstreams[(n - 1) % 2] as Upstream;
      // SIGKILL: no GOAWAY, no stream end, the socket just dies.
      await (cp as Child).kill("SIGKILL");
      await eventually("Envoy notices the control plane is gone", async () => check((await connected()) === 0, "still connected"), 20_000, 100);
      // Traffic keeps flowing on the last config while the control plane is down.
      for (let i = 0; i < 10; i++) {
        const r = await viaEnvoy();
        expect(r.status).toBe(200);
        expect(r.body).toBe(`${upstreams[(n - 2) % 2]?.name} GET /`);
        expect(r.headers["x-config-version"]).toBe(before);
      }
      // A fresh control plane process at the same address, one version ahead, routing to the other upstream.
      cp = await startCp(after, upstream);
      await eventually("Envoy reconnects", async () => check((await connected()) === 1, "not connected yet"), 60_000, 200);
      await eventually(`Envoy serves ${after}`, async () => {
        const r = await viaEnvoy();
        check(r.headers["x-config-version"] === after && r.body === `${upstream.name} GET /`, `version ${r.headers["x-config-version"]}, body ${r.body}`);
      }, 60_000, 200);
      expect(await (envoy as EnvoyProcess).listenerPorts(), "the updated listener keeps its port").toEqual(new Map([["http", listenerPort]]));
    }
    // Envoy's own account: every xDS type it holds is at the last version.
    const dump = (await (envoy as EnvoyProcess).configDump()).configs;
    const section = (kind: string): Record<string, unknown> => dump.find((c) => c["@type"].endsWith(`.${kind}`)) ?? {};
    const routes = (section("RoutesConfigDump")["dynamic_route_configs"] ?? []) as { version_info?: string }[];
    expect({
      clusters: section("ClustersConfigDump")["version_info"],
      listeners: section("ListenersConfigDump")["version_info"],
      routes: routes.map((r) => r.version_info),
    }).toEqual({ clusters: `v${RESTARTS + 1}`, listeners: `v${RESTARTS + 1}`, routes: [`v${RESTARTS + 1}`] });
  });
});
