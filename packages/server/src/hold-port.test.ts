// holdPort + listen({ heldPort }): connections made while the process loads
// wait on the held port and are served once the server takes it, on real
// sockets, with grpc-js and Connect clients, cleartext and TLS.
import { once } from "node:events";
import * as net from "node:net";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer, type HeldPort, holdPort, type XdsServer } from "@xdskit/server";
import { holdPort as holdPortFromSubpath } from "@xdskit/server/hold-port";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { connectClient, grpcJsClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, NODE, until } from "./test-fixtures.test-helper.js";
import { createTestPki, type Leaf, SERVER_NAMES, type TestPki } from "./test-pki.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;

let held: HeldPort | undefined;
let server: XdsServer | undefined;
const clients: TestClient[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  await held?.release();
  server = undefined;
  held = undefined;
});

function serverWithCluster(): XdsServer {
  const cache = new TestCache();
  cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
  return createXdsServer(cache, { closeTimeoutMs: 200 });
}

/** A raw TCP connection to `port`; resolves once connected. */
async function rawConnection(port: number): Promise<net.Socket> {
  const socket = net.connect(port, "127.0.0.1");
  sockets.push(socket);
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

describe("holdPort", () => {
  it("is the same function from @xdskit/server and @xdskit/server/hold-port", () => {
    expect(holdPortFromSubpath).toBe(holdPort);
  });

  it("keeps the connections made before the server exists and serves them once it takes the port", async () => {
    held = await holdPort({ port: 0 });
    const url = `http://127.0.0.1:${held.port}`;
    const early = [grpcJsClient(`127.0.0.1:${held.port}`), connectClient(url)];
    clients.push(...early);
    const streams = early.map((client) => client.open(ADS));
    for (const stream of streams) stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await until(() => held?.waiting === 2, 10_000);
    expect(held.taken).toBe(false);

    server = serverWithCluster();
    const listener = await server.listen({ heldPort: held });
    expect(listener.port).toBe(held.port);
    expect(listener.url).toBe(url);
    expect(held.taken).toBe(true);
    expect(held.waiting).toBe(0);
    for (const stream of streams) {
      const response = await stream.next(10_000);
      expect(response.versionInfo).toBe("v1");
      expect(response.resources).toHaveLength(1);
    }

    // A connection made after the hand-over reaches the server directly.
    const late = grpcJsClient(`127.0.0.1:${held.port}`);
    clients.push(late);
    const stream = late.open(ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next(10_000)).versionInfo).toBe("v1");
  });

  it("frees the port when the server that took it closes", async () => {
    held = await holdPort({ port: 0 });
    const port = held.port;
    server = serverWithCluster();
    await server.listen({ heldPort: held });
    await server.close();
    server = undefined;
    const again = net.createServer().listen(port, "127.0.0.1");
    await once(again, "listening");
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it("release() closes the waiting connections and the port", async () => {
    held = await holdPort({ port: 0 });
    const socket = await rawConnection(held.port);
    await until(() => held?.waiting === 1, 10_000);
    const closed = once(socket, "close");
    await held.release();
    await closed;
    expect(held.waiting).toBe(0);
    const again = net.createServer().listen(held.port, "127.0.0.1");
    await once(again, "listening");
    await new Promise<void>((resolve) => again.close(() => resolve()));
    await expect(serverWithCluster().listen({ heldPort: held })).rejects.toThrow(/released already/);
  });

  it("closes connections past maxHeldConnections", async () => {
    held = await holdPort({ port: 0, maxHeldConnections: 1 });
    await rawConnection(held.port);
    await until(() => held?.waiting === 1, 10_000);
    const second = await rawConnection(held.port);
    await once(second, "close");
    expect(held.waiting).toBe(1);
  });

  it("refuses a port that is not the held one, a port taken twice, and one holdPort did not make", async () => {
    held = await holdPort({ port: 0 });
    const heldPort = held;
    server = serverWithCluster();
    await expect(server.listen({ heldPort, port: heldPort.port + 1 })).rejects.toThrow(TypeError);
    await expect(server.listen({ heldPort, host: "0.0.0.0" })).rejects.toThrow(/not the held port's host/);
    await server.listen({ heldPort });
    await expect(serverWithCluster().listen({ heldPort })).rejects.toThrow(/taken already/);
    const fake: HeldPort = { port: 1, host: "127.0.0.1", waiting: 0, taken: false, release: async () => {} };
    await expect(serverWithCluster().listen({ heldPort: fake })).rejects.toThrow(/not made by holdPort/);
    await expect(holdPort({ maxHeldConnections: -1 })).rejects.toThrow(RangeError);
  });
});

describe("holdPort with TLS", () => {
  let pki: TestPki;
  let serverLeaf: Leaf;
  beforeAll(() => {
    pki = createTestPki();
    serverLeaf = pki.leaf("xds server", SERVER_NAMES);
  });
  afterAll(() => pki.remove());

  it("serves the waiting connections' TLS handshakes once the server takes the port", async () => {
    held = await holdPort({ port: 0 });
    const url = `https://127.0.0.1:${held.port}`;
    // grpc-js names the server "localhost" (an IP is no TLS server name), which the certificate holds.
    const credentials = grpc.credentials.createSsl(Buffer.from(pki.ca));
    const early = [
      grpcJsClient(`127.0.0.1:${held.port}`, credentials, { "grpc.ssl_target_name_override": "localhost" }),
      connectClient(url, createGrpcTransport({ baseUrl: url, nodeOptions: { ca: pki.ca } })),
    ];
    clients.push(...early);
    const streams = early.map((client) => client.open(ADS));
    for (const stream of streams) stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await until(() => held?.waiting === 2, 10_000);

    server = serverWithCluster();
    await server.listen({ heldPort: held, tls: { cert: serverLeaf.cert, key: serverLeaf.key } });
    for (const stream of streams) expect((await stream.next(10_000)).versionInfo).toBe("v1");
  });
});
