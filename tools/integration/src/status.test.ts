// What every proxy holds, seen three ways: the example control plane (as `npm start` runs it, from
// files) serves a real Envoy and a proxyless gRPC client (@grpc/grpc-js-xds) at once; CSDS (read by
// a third-party Go client and by a Connect client of ours), the admin page in a real headless
// Chromium, and /metrics list both with the versions each ACKed; a bad edit makes Envoy NACK, the
// page shows the NACK and Envoy's message within 2 s and the NACK counter moves; fixing the file
// clears it. In its own file: the gRPC xDS client reads its bootstrap from the process env.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Client, credentials, Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from "@grpc/grpc-js";
import { register as registerXdsResolver } from "@grpc/grpc-js-xds";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { ClientResourceStatus } from "@xdskit/envoy-api/envoy/admin/v3/config_dump_shared_pb";
import { ClientStatusDiscoveryService, ConfigStatus } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserForSuite } from "./support/browser-keeper.js";
import { readConfigDump, TYPE_LEVEL } from "./support/config-dump.js";
import { fetchWithGoClient } from "./support/csds-go-client.js";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";
import { type ExampleApp, startExampleApp } from "./support/example-app.js";

const ENVOY_NODE = "envoy-status";
const GRPC_NODE = "grpc-proxyless";
const WHO_AM_I = "/xdskit.test.Backend/WhoAmI";
const defaultConfig = new URL("../../../apps/example-control-plane/config/", import.meta.url);

const identity = (b: Buffer) => b;
const backendService: ServiceDefinition = {
  WhoAmI: { path: WHO_AM_I, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

// gRPC's view of a service, in the app's config format: node group "grpc" (the node's cluster).
const grpcGroup = (backendPort: number) => `
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: my-service
  api_listener:
    api_listener:
      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
      stat_prefix: my-service
      rds: { route_config_name: my-route, config_source: { self: {}, resource_api_version: V3 } }
      http_filters:
        - name: envoy.filters.http.router
          typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
  name: my-route
  virtual_hosts: [{ name: my-service, domains: [my-service], routes: [{ match: { prefix: / }, route: { cluster: my-cluster } }] }]
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: my-cluster
  type: EDS
  connect_timeout: 1s
  eds_cluster_config: { eds_config: { self: {}, resource_api_version: V3 } }
- "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
  cluster_name: my-cluster
  endpoints:
    - locality: { region: test, zone: a }
      load_balancing_weight: 1
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${backendPort} } } } }]
`;

// Decodes, passes our checks, and Envoy refuses it: two filter chains with the same match.
const duplicateChains = (text: string): string => {
  const start = text.indexOf("  filter_chains:\n") + "  filter_chains:\n".length;
  // filter_chains is the listener's last key, and the listener the file's last: append its chain again.
  return `${text.endsWith("\n") ? text : `${text}\n`}${text.slice(start)}`;
};

describe("client status: Envoy and gRPC at once, on CSDS, the admin page and /metrics", () => {
  const keeper = envoyForSuite("status");
  const browser = browserForSuite("status");
  const dir = mkdtempSync(join(tmpdir(), "xdskit-status-config-"));
  let app: ExampleApp;
  let upstream: Upstream;
  let backend: { server: Server; port: number };
  let grpcClient: Client;
  let xdsPort = 0;
  let adminUrl = "";
  let page: Page;
  let goodListeners = "";

  /** The versions the app logged for a group's latest config, by type URL. */
  const versionsOf = (group: string): Record<string, string> => {
    const line = app.lines.filter((l) => l.msg === "versions of the new config" && l["group"] === group).at(-1);
    return (line?.["versions"] ?? {}) as Record<string, string>;
  };
  const whoAmI = () =>
    new Promise<string>((resolve, reject) =>
      grpcClient.makeUnaryRequest(WHO_AM_I, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (error, answer) =>
        error || answer === undefined ? reject(error ?? new Error("no answer")) : resolve(answer.toString()),
      ),
    );
  const metric = async (pattern: RegExp): Promise<number | undefined> => {
    const text = await (await fetch(`${adminUrl}metrics`)).text();
    const line = text.split("\n").find((l) => pattern.test(l));
    return line === undefined ? undefined : Number(line.split(" ").pop());
  };
  const LISTENER_NACKS = /^xds_server_nacks_total\{xds_protocol="sotw",xds_type="envoy\.config\.listener\.v3\.Listener"/;
  const row = (node: string, typeUrl: string) => page.locator(`tr[data-node-id="${node}"] li[data-type="${typeUrl}"]`);

  beforeAll(async () => {
    upstream = await startUpstream("upstream");
    backend = await (async () => {
      const server = new Server();
      server.addService(backendService, { WhoAmI: (_c: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => done(null, Buffer.from("backend")) });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
      );
      return { server, port };
    })();
    // The default config, on ports the test owns: Envoy's listener on port 0, the upstream ours.
    cpSync(defaultConfig, dir, { recursive: true });
    writeFileSync(join(dir, "listeners.yaml"), readFileSync(join(dir, "listeners.yaml"), "utf8").replace("port_value: 10000", "port_value: 0"));
    writeFileSync(join(dir, "endpoints.yaml"), readFileSync(join(dir, "endpoints.yaml"), "utf8").replace("port_value: 18080", `port_value: ${upstream.port}`));
    mkdirSync(join(dir, "grpc"));
    writeFileSync(join(dir, "grpc", "grpc.yaml"), grpcGroup(backend.port));
    goodListeners = readFileSync(join(dir, "listeners.yaml"), "utf8");

    // --validate warn: the app's own checks (on by default) refuse the bad edit below before Envoy
    // sees it; here Envoy must get it and NACK it, as it would anything the validator does not catch.
    app = startExampleApp([
      ...["--config", dir, "--port", "0", "--admin-port", "0", "--upstream-port", "0"],
      ...["--log-level", "debug", "--node-id", ENVOY_NODE, "--validate", "warn"],
    ]);
    const listening = await app.waitForLine("xDS control plane listening", (l) => l.msg === "xDS control plane listening", 60_000);
    xdsPort = listening["port"] as number;
    adminUrl = listening["admin"] as string;

    await keeper.start(bootstrapFor({ mode: "ads", xdsPort, nodeId: ENVOY_NODE }));
    const ports = await keeper.envoy.waitForListenerPorts(["http"]);
    await eventually("traffic through Envoy", async () => expect((await get(ports.http, "/hello")).body).toBe("upstream GET /hello"));

    process.env["GRPC_XDS_BOOTSTRAP_CONFIG"] = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
      node: { id: GRPC_NODE, cluster: "grpc", locality: { region: "test", zone: "a" } },
    });
    registerXdsResolver();
    grpcClient = new Client("xds:///my-service", credentials.createInsecure());
    await eventually("a gRPC call through xds:///my-service", async () => expect(await whoAmI()).toBe("backend"), { timeoutMs: 30_000 });
    keeper.ready();
  });

  afterAll(async () => {
    grpcClient?.close();
    await app?.stop();
    await upstream?.close();
    await new Promise<void>((resolve) => (backend ? backend.server.tryShutdown(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("CSDS, read by a third-party Go client and by our Connect client, lists Envoy and gRPC with the versions they ACKed", async () => {
    const envoyVersions = versionsOf("default");
    const grpcVersions = versionsOf("grpc");
    // Envoy's own view of what it holds is the reference for its ACKed versions.
    const dump = await readConfigDump(keeper.envoy);
    expect(dump.versions.get(`${LISTENER_TYPE_URL} ${TYPE_LEVEL}`)).toBe(envoyVersions[LISTENER_TYPE_URL]);

    const expected = {
      [ENVOY_NODE]: [
        [CLUSTER_TYPE_URL, "upstream", envoyVersions[CLUSTER_TYPE_URL]],
        [LISTENER_TYPE_URL, "http", envoyVersions[LISTENER_TYPE_URL]],
        [ROUTE_TYPE_URL, "default", envoyVersions[ROUTE_TYPE_URL]],
      ],
      [GRPC_NODE]: [
        [CLUSTER_TYPE_URL, "my-cluster", grpcVersions[CLUSTER_TYPE_URL]],
        [LISTENER_TYPE_URL, "my-service", grpcVersions[LISTENER_TYPE_URL]],
        [ROUTE_TYPE_URL, "my-route", grpcVersions[ROUTE_TYPE_URL]],
      ],
    };
    // Endpoints aside (Envoy's config dump has no version for them); sorted by type and name.
    const pick = (entries: Array<readonly [string, string, string | undefined, string, string]>) =>
      entries.filter(([typeUrl]) => typeUrl !== "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment").sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));

    await eventually("every type ACKed by both", async () => {
      const go = await fetchWithGoClient(`127.0.0.1:${xdsPort}`);
      const byNode = Object.fromEntries(
        (go.config ?? []).map((c) => [c.node?.id, pick((c.genericXdsConfigs ?? []).map((g) => [g.typeUrl, g.name, g.versionInfo, g.configStatus ?? "", g.clientStatus ?? ""] as const))]),
      );
      for (const [node, entries] of Object.entries(expected)) {
        expect(byNode[node]).toEqual(entries.map(([t, n, v]) => [t, n, v, "SYNCED", "ACKED"]));
      }
    });

    const connect = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${xdsPort}` }));
    const mine = await connect.fetchClientStatus({ nodeMatchers: [{ nodeId: { matchPattern: { case: "exact", value: GRPC_NODE } } }] });
    expect(mine.config.map((c) => c.node?.id)).toEqual([GRPC_NODE]);
    const listener = mine.config[0]?.genericXdsConfigs.find((g) => g.typeUrl === LISTENER_TYPE_URL);
    expect([listener?.name, listener?.versionInfo, ConfigStatus[listener?.configStatus ?? 0], ClientResourceStatus[listener?.clientStatus ?? 0]]).toEqual([
      "my-service",
      grpcVersions[LISTENER_TYPE_URL],
      "SYNCED",
      "ACKED",
    ]);
  });

  it("the admin page, in a real browser, lists both nodes with their ACKed versions", async () => {
    page = await browser.page();
    await page.goto(adminUrl);
    const envoyVersions = versionsOf("default");
    const grpcVersions = versionsOf("grpc");
    for (const [node, versions] of [
      [ENVOY_NODE, envoyVersions],
      [GRPC_NODE, grpcVersions],
    ] as const) {
      for (const typeUrl of [CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL]) {
        const item = row(node, typeUrl);
        await item.and(page.locator('[data-state="acked"]')).waitFor({ timeout: 10_000 });
        expect(await item.locator('[data-role="acked-version"]').textContent()).toBe(versions[typeUrl]);
      }
    }
    await browser.screenshot(page, "1-both-nodes-acked");
    expect(await page.getByRole("status").textContent()).toMatch(/^2 nodes, /);
    // A node's detail: the resources it holds, as protobuf JSON.
    await page.locator(`tr[data-node-id="${ENVOY_NODE}"] [data-role="node"]`).click();
    const held = page.locator(`#detail section[data-type="${LISTENER_TYPE_URL}"] details`).filter({ hasText: "http" });
    await held.locator("summary").click();
    expect(JSON.parse((await held.locator("pre").first().textContent()) ?? "{}")).toMatchObject({ "@type": LISTENER_TYPE_URL, name: "http" });
    // Filters narrow the list to one node.
    await page.getByLabel("Node id contains").fill("grpc");
    await page.locator(`tr[data-node-id="${ENVOY_NODE}"]`).waitFor({ state: "detached", timeout: 5_000 });
    expect(await page.locator("tr[data-node-id]").count()).toBe(1);
    await page.getByLabel("Node id contains").fill("");
    await page.locator(`tr[data-node-id="${ENVOY_NODE}"]`).waitFor({ timeout: 5_000 });
  });

  it("a bad edit: Envoy NACKs, the page shows it with Envoy's message within 2 s, the NACK counter moves", async () => {
    expect(await metric(LISTENER_NACKS)).toBe(0);
    const good = versionsOf("default")[LISTENER_TYPE_URL];
    const nacksBefore = app.lines.filter((l) => l.msg === "xds NACK").length;
    writeFileSync(join(dir, "listeners.yaml"), duplicateChains(goodListeners));
    const nack = await app.waitForLine(
      "Envoy's NACK",
      (l) => l.msg === "xds NACK" && l["typeUrl"] === LISTENER_TYPE_URL && app.lines.indexOf(l) >= nacksBefore,
      30_000,
    );
    expect(nack["node"]).toBe(ENVOY_NODE);
    expect(nack["message"]).toMatch(/has the same matching rules defined as/);
    // From the NACK reaching the server to the page showing it: 2 s at most.
    const nacked = row(ENVOY_NODE, LISTENER_TYPE_URL).and(page.locator('[data-state="nacked"]'));
    await nacked.waitFor({ timeout: 2_000 });
    const message = await nacked.locator('[data-role="nack-message"]').textContent();
    expect(message).toContain("has the same matching rules defined as");
    expect(message).toContain(versionsOf("default")[LISTENER_TYPE_URL]);
    await browser.screenshot(page, "2-envoy-nacked");
    // Envoy keeps serving what it had; gRPC took the new listener version (its listener did not change).
    expect(await row(GRPC_NODE, LISTENER_TYPE_URL).getAttribute("data-state")).toBe("acked");
    expect(await metric(LISTENER_NACKS)).toBe(1);

    const go = await fetchWithGoClient(`127.0.0.1:${xdsPort}`, ["-node-id", ENVOY_NODE]);
    const http = go.config?.[0]?.genericXdsConfigs?.find((g) => g.typeUrl === LISTENER_TYPE_URL && g.name === "http");
    expect({ config: http?.configStatus, client: http?.clientStatus, version: http?.versionInfo, rejected: http?.errorState?.versionInfo }).toEqual({
      config: "ERROR",
      client: "NACKED",
      version: good,
      rejected: versionsOf("default")[LISTENER_TYPE_URL],
    });
    expect(http?.errorState?.details).toMatch(/has the same matching rules defined as/);
  });

  it("fixing the file clears the NACK: Envoy ACKs the fix and the page says so", async () => {
    writeFileSync(join(dir, "listeners.yaml"), goodListeners.replace("stat_prefix: http", "stat_prefix: http_fixed"));
    const acked = row(ENVOY_NODE, LISTENER_TYPE_URL).and(page.locator('[data-state="acked"]'));
    await acked.waitFor({ timeout: 20_000 });
    expect(await acked.locator('[data-role="nack-message"]').count()).toBe(0);
    const fixed = versionsOf("default")[LISTENER_TYPE_URL];
    expect(await acked.locator('[data-role="acked-version"]').textContent()).toBe(fixed);
    await eventually("Envoy holds the fixed listeners", async () =>
      expect((await readConfigDump(keeper.envoy)).versions.get(`${LISTENER_TYPE_URL} ${TYPE_LEVEL}`)).toBe(fixed),
    );
    await browser.screenshot(page, "3-fixed");
    expect(await metric(LISTENER_NACKS)).toBe(1);
  });
});
