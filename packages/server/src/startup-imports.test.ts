// What a server loads before it listens (issue 17: process start -> listening).
// protobuf-es hydrates a generated file's descriptors when the file is
// evaluated, and every module costs resolution and compilation, so start-up
// must load only what the fast path needs: the discovery messages and the
// resource types' schemas (cache-core's registry). Connect, the service
// descriptors, CSDS's admin and matcher types and the full Envoy registry
// load when first used. Counts modules, not time: a timing assertion would
// only measure the machine's load.
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import { modulesLoadedBy } from "@xdskit/test-support";
import { beforeAll, describe, expect, it, vi } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
// Each test starts a Node process, which takes seconds on a loaded 2-core machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** Runs an ES module `script` in a fresh Node process (from this package) and returns every module URL it loaded. */
const loadedBy = (script: string): Promise<string[]> => modulesLoadedBy(script, { cwd: pkgDir });

const generated = (urls: readonly string[]) =>
  urls.filter((u) => u.includes("/envoy-api/dist/gen/")).map((u) => u.slice(u.indexOf("/dist/gen/") + "/dist/gen/".length));

// What start-up may hydrate: the discovery messages, every schema of
// cache-core's resource-type registry, and what resource references decode
// (the HTTP connection manager inside a listener).
const ALLOWED_ROOTS = [
  "envoy/service/discovery/v3/discovery_pb",
  "envoy/config/cluster/v3/cluster_pb",
  "envoy/config/core/v3/extension_pb",
  "envoy/config/endpoint/v3/endpoint_components_pb",
  "envoy/config/endpoint/v3/endpoint_pb",
  "envoy/config/listener/v3/listener_pb",
  "envoy/config/route/v3/route_components_pb",
  "envoy/config/route/v3/route_pb",
  "envoy/config/route/v3/scoped_route_pb",
  "envoy/extensions/transport_sockets/tls/v3/secret_pb",
  "envoy/service/runtime/v3/rtds_pb",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb",
];

const serverStart = (options: string) => `
  import { createSnapshotCache } from "@xdskit/cache-snapshot";
  import { createXdsServer } from "@xdskit/server";
  const xds = createXdsServer(createSnapshotCache({ ads: true }), ${options});
  await xds.listen({ host: "127.0.0.1", port: 0 });
  await xds.close();
`;

// One ADS stream over the fast path, with a node:http2 client: no callback reads the request
// headers, so nothing builds a Web Headers (whose first use loads undici, node's fetch: 60-250 ms
// of compilation on a 2-core machine, paid by the first stream after a restart).
const oneStream = (callbacks: string) => `
  import * as http2 from "node:http2";
  import { create, toBinary, fromBinary } from "@bufbuild/protobuf";
  import { CLUSTER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
  import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
  import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
  import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
  import { createXdsServer } from "@xdskit/server";
  const cache = createSnapshotCache({ ads: true, nodeHash: (node) => node?.id ?? "" });
  cache.setSnapshot("n", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [prepareResource(ClusterSchema, { name: "c" })] }));
  const xds = createXdsServer(cache, { callbacks: ${callbacks} });
  const bound = await xds.listen({ host: "127.0.0.1", port: 0 });
  const session = http2.connect(bound.url);
  const call = session.request({ ":method": "POST", ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources", "content-type": "application/grpc", te: "trailers", authorization: "Bearer t0ken" });
  const body = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: "n" }, typeUrl: CLUSTER_TYPE_URL }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  call.write(frame);
  const chunks = [];
  for await (const chunk of call) {
    chunks.push(chunk);
    const all = Buffer.concat(chunks);
    if (all.length >= 5 && all.length >= 5 + all.readUInt32BE(1)) {
      const response = fromBinary(DiscoveryResponseSchema, all.subarray(5, 5 + all.readUInt32BE(1)));
      if (response.versionInfo !== "v1") throw new Error("unexpected " + response.versionInfo);
      break;
    }
  }
  call.close();
  session.close();
  await xds.close();
  // node's own modules (fetch's undici among them) load outside the module hooks: list them too.
  const { appendFileSync } = await import("node:fs");
  for (const name of process.moduleLoadList) if (name.includes("undici")) appendFileSync(process.env.LOAD_LOG, "internal:" + name + "\\n");
`;

describe.skipIf(typeof nodeModule.registerHooks !== "function")("server start-up", () => {
  let allowed = new Set<string>();
  beforeAll(async () => {
    allowed = new Set(generated(await loadedBy(ALLOWED_ROOTS.map((p) => `await import("@xdskit/envoy-api/${p}");`).join("\n"))));
  });

  it.each([
    ["defaults", "{}"],
    ["CSDS and REST on", `{ csds: true, rest: { preload: "first-request" } }`],
  ])("loads no generated file beyond the discovery messages and the resource types (%s)", async (_name, options) => {
    const loaded = await loadedBy(serverStart(options));
    const files = generated(loaded);
    expect(files).toContain("envoy/service/discovery/v3/discovery_pb.js");
    expect(files.filter((f) => !allowed.has(f))).toEqual([]);
    // Named on their own for a clear failure: the per-type services, CSDS, the admin types, the whole API.
    expect(files.filter((f) => f.startsWith("envoy/service/") && !allowed.has(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith("envoy/admin/"))).toEqual([]);
    expect(loaded.filter((u) => u.includes("/envoy-api/dist/registry.js") || u.includes("/envoy-api/dist/index.js"))).toEqual([]);
  });

  it("@xdskit/server/hold-port loads node:net and its own three files, nothing else", async () => {
    const loaded = await loadedBy(`
      import { holdPort } from "@xdskit/server/hold-port";
      const held = await holdPort({ port: 0 });
      await held.release();
    `);
    const ours = loaded.filter((u) => !u.startsWith("node:"));
    expect(ours.map((u) => u.slice(u.lastIndexOf("/") + 1)).sort()).toEqual(["held-port-state.js", "hold-port.js", "listen-backlog.js"]);
  });

  it("serves a fast-path stream without loading undici when no callback reads its headers", async () => {
    const loaded = await loadedBy(oneStream("{}"));
    expect(loaded.filter((u) => /undici|\/@connectrpc\//.test(u))).toEqual([]);
  });

  it("builds the headers when a callback reads them", async () => {
    const loaded = await loadedBy(oneStream(`{ onStreamOpen: (stream) => { if (stream.requestHeader.get("authorization") !== "Bearer t0ken") throw new Error("no token"); } }`));
    expect(loaded.some((u) => u.includes("undici"))).toBe(true);
  });

  it("loads neither Connect nor grpc-js nor undici", async () => {
    const loaded = await loadedBy(serverStart("{}"));
    expect(loaded.filter((u) => /\/(@connectrpc|@grpc|undici)\//.test(u))).toEqual([]);
  });
});

// A REST poll on the defaults loads the protobuf packages of the types in its answer, not the whole
// Envoy API (~0.9 s of CPU, 2-3 s at load: near or past Envoy's 1 s REST fetch timeout). The Router inside the
// connection manager is packed by hand, so nothing but the REST gateway can load its file.
const restPoll = `
  import { create, toBinary } from "@bufbuild/protobuf";
  import { anyPack } from "@bufbuild/protobuf/wkt";
  import { LISTENER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
  import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
  import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
  import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
  import { createXdsServer } from "@xdskit/server";
  const router = { typeUrl: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", value: new Uint8Array() };
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: "in",
    routeSpecifier: { case: "rds", value: { routeConfigName: "r" } },
    httpFilters: [{ name: "envoy.filters.http.router", configType: { case: "typedConfig", value: router } }],
  });
  const listener = prepareResource(ListenerSchema, {
    name: "l",
    filterChains: [{ filters: [{ name: "hcm", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }],
  });
  const cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
  cache.setSnapshot("n", createSnapshot("v1", { [LISTENER_TYPE_URL]: [listener] }));
  const xds = createXdsServer(cache, {});
  const bound = await xds.listen({ host: "127.0.0.1", port: 0 });
  const response = await fetch(bound.url + "/v3/discovery:listeners", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ node: { id: "n" } }),
  });
  const body = await response.text();
  await xds.close();
  if (response.status !== 200 || !body.includes("envoy.extensions.filters.http.router.v3.Router")) throw new Error(response.status + " " + body);
`;

describe.skipIf(typeof nodeModule.registerHooks !== "function")("a REST poll on the defaults", () => {
  it("loads the packages of the types in its answer, not the whole Envoy API", async () => {
    const loaded = await loadedBy(restPoll);
    const files = generated(loaded);
    expect(files).toContain("envoy/extensions/filters/http/router/v3/router_pb.js");
    expect(loaded.filter((u) => u.includes("/envoy-api/dist/registry.js"))).toEqual([]);
    // The whole API is 708 generated files; these packages and what they import are a fraction.
    expect(files.length).toBeLessThan(200);
  });
});
