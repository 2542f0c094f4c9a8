// The xDS services on a @grpc/grpc-js server the user owns (addToGrpcServer),
// next to the user's own services. The stream behaviour over it runs in the
// shared suites (sotw-ads, delta-ads, bad-input, limits, slow-client,
// stream-cycles) as the "grpc-js server" serving mode.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import type { PeerInfo } from "@xdskit/server-core";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { grpcJsClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, NODE } from "./test-fixtures.test-helper.js";
import { createTestPki, type Leaf, SERVER_NAMES, type TestPki } from "./test-pki.test-helper.js";

const identity = (bytes: Buffer) => bytes;
const ECHO = "/xdskit.test.Echo/Echo";
const echoService: grpc.ServiceDefinition = {
  Echo: {
    path: ECHO,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function unary(client: grpc.Client, path: string, request: Buffer): Promise<{ error: grpc.ServiceError | null; response: Buffer | undefined }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, request, (error, response) => resolve({ error, response }));
  });
}

function bind(server: grpc.Server, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (error, port) => (error ? reject(error) : resolve(port))));
}

function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 200);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(xds: XdsServer, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  const server = new grpc.Server();
  server.addService(echoService, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, call.request) });
  xds.addToGrpcServer(server);
  const port = await bind(server, credentials);
  cleanups.push(() => shutdown(server), () => xds.close());
  return port;
}

describe("addToGrpcServer", () => {
  it("leaves @grpc/grpc-js an optional peer: no module of the package loads it", () => {
    const dist = dirname(createRequire(import.meta.url).resolve("@xdskit/server"));
    const modules = readdirSync(dist).filter((file) => file.endsWith(".js"));
    expect(modules.length).toBeGreaterThan(10);
    for (const file of modules) {
      expect(readFileSync(join(dist, file), "utf8"), file).not.toMatch(/from\s*["']@grpc\/grpc-js["']|(import|require)\(\s*["']@grpc\/grpc-js["']\s*\)/);
    }
  });

  it("serves ADS next to the user's own service on one grpc-js server", async () => {
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    const port = await serve(createXdsServer(cache));
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());
    const echoed = await unary(raw, ECHO, Buffer.from("hello"));
    expect(echoed.response?.toString()).toBe("hello");
    const client: TestClient = grpcJsClient(`127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const response = await stream.next();
    expect(response.versionInfo).toBe("v1");
    expect(response.resources).toHaveLength(2);
  });

  it("answers Fetch: the response, FAILED_PRECONDITION when current, INVALID_ARGUMENT without a node or for bytes that do not decode", async () => {
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const port = await serve(createXdsServer(cache));
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());
    const path = `/${ClusterDiscoveryService.typeName}/${ClusterDiscoveryService.method.fetchClusters.name}`;
    const request = (init: Parameters<typeof create<typeof DiscoveryRequestSchema>>[1]) => Buffer.from(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, init)));
    const ok = await unary(raw, path, request({ node: NODE }));
    expect(ok.error).toBeNull();
    const response = fromBinary(DiscoveryResponseSchema, ok.response ?? Buffer.alloc(0));
    expect([response.versionInfo, response.typeUrl, response.resources.length]).toEqual(["v1", CLUSTER_TYPE_URL, 1]);
    expect((await unary(raw, path, request({ node: NODE, versionInfo: "v1" }))).error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    const noNode = await unary(raw, path, request({}));
    expect(noNode.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noNode.error?.details).toContain('"node"');
    const garbage = await unary(raw, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(garbage.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(garbage.error?.details).toMatch(/^malformed DiscoveryRequest: parse binary: /);
  });

  it("serves only the enabled protocols, and Fetch only over a cache that fetches", async () => {
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const watcherOnly = { createWatch: cache.createWatch.bind(cache), createDeltaWatch: cache.createDeltaWatch.bind(cache) };
    const port = await serve(createXdsServer(watcherOnly, { delta: false }));
    const client = grpcJsClient(`127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    const delta = client.open(AggregatedDiscoveryService.method.deltaAggregatedResources);
    delta.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await delta.status).code).toBe(grpc.status.UNIMPLEMENTED);
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());
    const fetch = await unary(raw, `/${ClusterDiscoveryService.typeName}/FetchClusters`, Buffer.alloc(0));
    expect(fetch.error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("addToGrpcServer with mTLS", () => {
  let pki: TestPki;
  let serverLeaf: Leaf;
  let clientA: Leaf;
  beforeAll(() => {
    pki = createTestPki();
    serverLeaf = pki.leaf("xds server", SERVER_NAMES);
    clientA = pki.leaf("proxy a", ["URI:spiffe://xdskit.test/ns/default/sa/node-a"]);
  });
  afterAll(() => pki.remove());

  it("hands the verified client certificate to callbacks and binds the node to it", async () => {
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    const peers: PeerInfo[] = [];
    const xds = createXdsServer(cache, { identity: {}, callbacks: { onStreamOpen: (stream) => void peers.push(stream.peer ?? {}) } });
    const credentials = grpc.ServerCredentials.createSsl(Buffer.from(pki.ca), [{ private_key: Buffer.from(serverLeaf.key), cert_chain: Buffer.from(serverLeaf.cert) }], true);
    const port = await serve(xds, credentials);
    const client = grpcJsClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(Buffer.from(pki.ca), Buffer.from(clientA.key), Buffer.from(clientA.cert)),
      // TLS server names are DNS names; the server certificate holds "localhost".
      { "grpc.ssl_target_name_override": "localhost" },
    );
    cleanups.push(() => client.close());
    const mine = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    mine.send({ node: { id: "node-a" }, typeUrl: CLUSTER_TYPE_URL });
    expect((await mine.next()).versionInfo).toBe("1");
    expect(peers[0]?.tls).toBe(true);
    expect(peers[0]?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((peers[0]?.certificate as tls.PeerCertificate | undefined)?.subject.CN).toBe("proxy a");
    const theirs = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    theirs.send({ node: { id: "node-b" }, typeUrl: CLUSTER_TYPE_URL });
    const status = await theirs.status;
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.message).toContain('"node-b"');
  });
});
