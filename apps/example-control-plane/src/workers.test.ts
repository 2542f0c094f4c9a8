import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { startEtcd, type EtcdCluster } from "@xdskit/etcd-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppProcess } from "./app-process.test-helper.js";
import { defaultConfigDir } from "./cli-options.js";
import { runStoreCli } from "./store-cli.js";

let etcd: EtcdCluster;
let app: AppProcess | undefined;
let work = "";
let dir = "";
const clients: XdsClient[] = [];

beforeAll(async () => {
  etcd = await startEtcd({ name: "workers" });
  work = mkdtempSync(join(tmpdir(), "workers-"));
  dir = join(work, "config");
  cpSync(defaultConfigDir, dir, { recursive: true });
  expect(await runStoreCli(["apply", "-f", dir, "--etcd-endpoints", etcd.endpoints.join(",")], { out: () => {}, err: () => {} })).toBe(0);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await app?.stop();
  await etcd?.stop();
  rmSync(work, { recursive: true, force: true });
});

function connect(port: number, id: string): XdsClient {
  const client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }), node: { id, cluster: "any" } });
  client.subscribe(CLUSTER_TYPE_URL);
  client.subscribe(ENDPOINT_TYPE_URL, ["upstream"]);
  clients.push(client);
  return client;
}

const STARTUP_BOUND_MS = 120_000;

const served = (c: XdsClient) => c.state(CLUSTER_TYPE_URL).resources.size === 1 && c.state(ENDPOINT_TYPE_URL).resources.size === 1;

describe("--workers 2 with --source etcd", () => {
  it("serves one port from two processes, each with its own cache from etcd, and replaces a worker that dies", async () => {
    app = startApp(["--source", "etcd", "--etcd-endpoints", etcd.endpoints.join(","), "--workers", "2", "-p", "0", "--upstream-port", "0", "--bootstrap-out", join(work, "bootstrap.json")]);
    // Three processes each load the app and etcd before this line: on a 2-core machine at a load average of 25 that
    // took over 30 s in a fresh-clone run, so the bound is generous (an event is awaited, not a delay).
    const listening = await app.waitForLine("the primary's listening line", (l) => l.msg === "xDS control plane listening", STARTUP_BOUND_MS);
    const port = Number(listening["port"]);
    const workerPids = app.lines.filter((l) => l.msg === "worker serving").map((l) => l.pid);
    expect(new Set(workerPids).size).toBe(2);
    expect(workerPids).not.toContain(app.child.pid);
    // Each worker loaded etcd itself.
    expect(app.lines.filter((l) => l.msg === "serving etcd revision" && l["reason"] === "initial").map((l) => l.pid).sort()).toEqual([...workerPids].sort());

    const first = Array.from({ length: 4 }, (_, i) => connect(port, `envoy-${i}`));
    await Promise.all(first.map((c) => c.waitFor(served)));
    // Connections are handed to the workers round-robin: both serve streams.
    for (const worker of [1, 2]) await app.waitForLine(`a stream on worker ${worker}`, (l) => l.msg === "stream opened" && l.worker === worker);

    // An apply reaches every client, whichever worker serves it.
    const before = first[0]?.state(ENDPOINT_TYPE_URL).version;
    writeFileSync(join(dir, "endpoints.yaml"), readFileSync(join(dir, "endpoints.yaml"), "utf8").replace("port_value: 18080", "port_value: 18081"));
    expect(await runStoreCli(["apply", "-f", dir, "--etcd-endpoints", etcd.endpoints.join(",")], { out: () => {}, err: () => {} })).toBe(0);
    await Promise.all(first.map((c) => c.waitFor((s) => s.state(ENDPOINT_TYPE_URL).version !== before)));
    expect(new Set(first.map((c) => c.state(ENDPOINT_TYPE_URL).version)).size).toBe(1);

    // SIGKILL worker 1: the primary starts another, which loads etcd and serves new clients.
    const victim = app.lines.find((l) => l.msg === "worker serving" && l.worker === 1)?.pid;
    if (victim === undefined) throw new Error("no worker 1");
    process.kill(victim, "SIGKILL");
    await app.waitForLine("the replacement worker", (l) => l.msg === "worker serving" && l.worker === 1 && l.pid !== victim, STARTUP_BOUND_MS);
    expect(app.lines.some((l) => l.msg === "worker died; starting another in 1 s" && l["pid"] === victim)).toBe(true);
    const later = Array.from({ length: 4 }, (_, i) => connect(port, `later-${i}`));
    await Promise.all(later.map((c) => c.waitFor((s) => served(s) && s.state(ENDPOINT_TYPE_URL).version === first[0]?.state(ENDPOINT_TYPE_URL).version)));

    await app.stop();
    expect(await app.exited).toBe(0);
  }, 4 * STARTUP_BOUND_MS);
});
