// Under mTLS a peer is its certificate's identity, not its address: two proxies on one host
// (127.0.0.1) with different certificates have a budget each, for streams and for connections.
import { once } from "node:events";
import * as http2 from "node:http2";
import * as tls from "node:tls";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { createXdsServer, type XdsListener, type XdsServer } from "@xdskit/server";
import { GrpcStatus } from "@xdskit/server-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADS_PATH, clusterRequest } from "./hostile.test-helper.js";
import { rawCall } from "./raw-grpc.test-helper.js";
import { TestCache } from "./test-cache.test-helper.js";
import { cluster, until } from "./test-fixtures.test-helper.js";
import { createTestPki, type Leaf, SERVER_NAMES, type TestPki } from "./test-pki.test-helper.js";

let pki: TestPki;
let proxyA: Leaf;
let proxyB: Leaf;
let server: XdsServer;
let listener: XdsListener;

beforeAll(async () => {
  pki = createTestPki();
  const serverLeaf = pki.leaf("xds server", SERVER_NAMES);
  proxyA = pki.leaf("proxy a", ["URI:spiffe://xdskit.test/ns/default/sa/proxy-a"]);
  proxyB = pki.leaf("proxy b", ["URI:spiffe://xdskit.test/ns/default/sa/proxy-b"]);
  const cache = new TestCache();
  cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
  server = createXdsServer(cache, { closeTimeoutMs: 200, maxStreamsPerPeer: 2, maxConnectionsPerPeer: 2 });
  listener = await server.listen({
    tls: { certFile: serverLeaf.certFile, keyFile: serverLeaf.keyFile, caFile: pki.caFile, requestCert: true, rejectUnauthorized: true },
  });
});
afterAll(async () => {
  await server.close();
  pki.remove();
});

async function connect(leaf: Leaf): Promise<http2.ClientHttp2Session> {
  const client = http2.connect(listener.url, { ca: pki.ca, cert: leaf.cert, key: leaf.key, servername: "localhost" });
  client.on("error", () => {});
  await once(client, "connect");
  return client;
}

describe("per-peer guards by certificate identity (mTLS)", () => {
  it("gives each certificate identity its own stream budget on one address", async () => {
    const a = await connect(proxyA);
    const b = await connect(proxyB);
    const calls = [rawCall("", ADS_PATH, { session: a }), rawCall("", ADS_PATH, { session: a })];
    for (const call of calls) call.send(clusterRequest());
    await until(() => calls.every((call) => call.messages.length > 0));
    const third = rawCall("", ADS_PATH, { session: a });
    third.send(clusterRequest());
    const refused = await third.status;
    expect(refused.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(refused.message).toContain("maxStreamsPerPeer");
    const other = rawCall("", ADS_PATH, { session: b });
    other.send(clusterRequest());
    await until(() => other.messages.length > 0);
    a.destroy();
    b.destroy();
    await until(() => server.context.openStreams === 0);
  });

  it("counts connections per certificate identity: a third from proxy a is closed after the handshake, proxy b connects", async () => {
    const kept = [await connect(proxyA), await connect(proxyA)];
    const socket = tls.connect({ host: "127.0.0.1", port: listener.port, servername: "localhost", ca: pki.ca, cert: proxyA.cert, key: proxyA.key, ALPNProtocols: ["h2"] });
    socket.on("error", () => {});
    await once(socket, "close");
    const b = await connect(proxyB);
    const call = rawCall("", ADS_PATH, { session: b });
    call.send(clusterRequest());
    await until(() => call.messages.length > 0);
    for (const client of [...kept, b]) client.destroy();
  });
});
