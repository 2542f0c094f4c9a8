import { X509Certificate } from "node:crypto";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import * as tls from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { CLUSTER_TYPE_URL, SECRET_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer, type TlsOptions, type XdsListener, type XdsServer, type XdsServerOptions } from "@xdskit/server";
import type { PeerInfo, StreamInfo } from "@xdskit/server-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { CLIENT_KINDS, type ClientKind, connectClient, grpcJsClient, openClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster } from "./test-fixtures.test-helper.js";
import { createTestPki, type Leaf, SERVER_NAMES, type TestPki } from "./test-pki.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;
const NODE_A = { id: "node-a", cluster: "edge" };
const NODE_B = { id: "node-b", cluster: "edge" };

let pki: TestPki;
let serverLeaf: Leaf;
let rotatedLeaf: Leaf;
let clientA: Leaf;
let clientB: Leaf;
beforeAll(() => {
  pki = createTestPki();
  serverLeaf = pki.leaf("xds server", SERVER_NAMES);
  rotatedLeaf = pki.leaf("xds server rotated", SERVER_NAMES);
  clientA = pki.leaf("proxy a", ["URI:spiffe://xdskit.test/ns/default/sa/node-a", "DNS:node-a.proxies.test"]);
  clientB = pki.leaf("proxy b", ["DNS:node-b"]);
});
afterAll(() => pki.remove());

/** A TLS client of `kind` presenting `leaf` (or no certificate). */
function tlsClient(kind: ClientKind, listener: XdsListener, leaf: Leaf | undefined): TestClient {
  if (kind === "grpc-js") {
    const credentials = grpc.credentials.createSsl(
      Buffer.from(pki.ca),
      leaf === undefined ? null : Buffer.from(leaf.key),
      leaf === undefined ? null : Buffer.from(leaf.cert),
    );
    // grpc-js sends the target host as the TLS server name (SNI), which must be
    // a DNS name (RFC 6066; Node 26 refuses an IP): connect to the IP, name
    // "localhost", which the server certificate also holds.
    return grpcJsClient(`127.0.0.1:${listener.port}`, credentials, { "grpc.ssl_target_name_override": "localhost" });
  }
  const nodeOptions = { ca: pki.ca, ...(leaf === undefined ? {} : { cert: leaf.cert, key: leaf.key }) };
  return connectClient(listener.url, createGrpcTransport({ baseUrl: listener.url, nodeOptions }));
}

interface Served {
  readonly server: XdsServer;
  readonly listener: XdsListener;
  readonly cache: TestCache;
}

async function serveTls(tlsOptions: TlsOptions, options: XdsServerOptions = {}): Promise<Served> {
  const cache = new TestCache();
  cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
  const server = createXdsServer(cache, { closeTimeoutMs: 200, ...options });
  const listener = await server.listen({ tls: tlsOptions });
  return { server, listener, cache };
}

function serverFingerprint(listener: XdsListener, leaf: Leaf): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", servername: "localhost", port: listener.port, ca: pki.ca, cert: leaf.cert, key: leaf.key, ALPNProtocols: ["h2"] }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once("error", reject);
  });
}

describe.each(CLIENT_KINDS)("mTLS with %s", (kind) => {
  let served: Served | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await served?.server.close();
  });
  const open = (leaf: Leaf | undefined) => {
    if (served === undefined) throw new Error("no server");
    const client = tlsClient(kind, served.listener, leaf);
    clients.push(client);
    return client;
  };

  it("serves a client with a certificate the CA signed, and refuses the handshake of one without", async () => {
    const peers: PeerInfo[] = [];
    served = await serveTls(
      { certFile: serverLeaf.certFile, keyFile: serverLeaf.keyFile, caFile: pki.caFile, requestCert: true, rejectUnauthorized: true },
      { callbacks: { onStreamOpen: (stream) => void peers.push(stream.peer ?? {}) } },
    );
    const stream = open(clientA).open(ADS);
    stream.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).versionInfo).toBe("1");
    expect(peers).toHaveLength(1);
    const certificate = peers[0]?.certificate as tls.PeerCertificate | undefined;
    expect(certificate?.subject.CN).toBe("proxy a");
    const anonymous = open(undefined).open(ADS);
    anonymous.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await anonymous.status).code).not.toBe(0);
    expect(peers).toHaveLength(1);
  });

  it("refuses to listen on TLS without a key and certificate", async () => {
    const server = createXdsServer(new TestCache());
    await expect(server.listen({ tls: { caFile: pki.caFile } })).rejects.toThrow(/key and a certificate/);
    await server.close();
  });

  it("serves new connections with rotated certificate files without a restart; open streams keep working", async () => {
    const dir = pki.dir;
    const certFile = join(dir, `live-${kind}.pem`);
    const keyFile = join(dir, `live-${kind}.key`);
    copyFileSync(serverLeaf.certFile, certFile);
    copyFileSync(serverLeaf.keyFile, keyFile);
    served = await serveTls({ certFile, keyFile, caFile: pki.caFile, requestCert: true, rejectUnauthorized: true, reloadIntervalMs: 50 });
    const { listener, cache } = served;
    const before = await serverFingerprint(listener, clientA);
    const old = open(clientA).open(ADS);
    old.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    const first = await old.next();
    copyFileSync(rotatedLeaf.keyFile, keyFile);
    copyFileSync(rotatedLeaf.certFile, certFile);
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await serverFingerprint(listener, clientA);
    }
    expect(after).not.toBe(before);
    expect(after).toBe(new X509Certificate(rotatedLeaf.cert).fingerprint256);
    expect(await listener.reloadTls()).toBe(false);
    old.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce, versionInfo: first.versionInfo });
    cache.set(CLUSTER_TYPE_URL, "2", [cluster("a"), cluster("b")]);
    expect((await old.next()).versionInfo).toBe("2");
    const fresh = open(clientA).open(ADS);
    fresh.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await fresh.next()).versionInfo).toBe("2");
  });
});

const PATHS: ReadonlyArray<readonly [ClientKind, string, boolean]> = CLIENT_KINDS.flatMap((kind) => [
  [kind, "fast path", true] as const,
  [kind, "connect-node", false] as const,
]);

describe.each(PATHS)("node identity binding with %s, %s", (kind, _path, fastPath) => {
  let served: Served | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    // Client certificates are asked for but not required, so a client without one reaches the binding.
    served = await serveTls(
      { cert: serverLeaf.cert, key: serverLeaf.key, ca: pki.ca, requestCert: true, rejectUnauthorized: false },
      { fastPath, identity: {} },
    );
    served.cache.set(SECRET_TYPE_URL, "1", []);
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await served?.server.close();
  });
  const open = (leaf: Leaf | undefined) => {
    if (served === undefined) throw new Error("no server");
    const client = tlsClient(kind, served.listener, leaf);
    clients.push(client);
    return client;
  };

  it("serves a node whose id matches a URI SAN (SPIFFE-style) or a DNS SAN, SotW and delta", async () => {
    const sotw = open(clientA).open(ADS);
    sotw.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await sotw.next()).versionInfo).toBe("1");
    const delta = open(clientA).open(DELTA_ADS);
    delta.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await delta.next()).resources).toHaveLength(1);
    const byDns = open(clientB).open(ADS);
    byDns.send({ node: NODE_B, typeUrl: CLUSTER_TYPE_URL });
    expect((await byDns.next()).versionInfo).toBe("1");
  });

  it("refuses a node claiming another proxy's id with PERMISSION_DENIED naming the node, SotW and delta", async () => {
    const sotw = open(clientA).open(ADS);
    sotw.send({ node: NODE_B, typeUrl: SECRET_TYPE_URL });
    const status = await sotw.status;
    expect(status.code).toBe(Code.PermissionDenied);
    expect(status.message).toContain('"node-b"');
    expect(status.message).not.toContain("spiffe");
    const delta = open(clientB).open(DELTA_ADS);
    delta.send({ node: NODE_A, typeUrl: SECRET_TYPE_URL });
    expect((await delta.status).code).toBe(Code.PermissionDenied);
  });

  it("refuses a client without a certificate with PERMISSION_DENIED", async () => {
    for (const method of [ADS, DELTA_ADS] as const) {
      const stream = open(undefined).open(method as typeof ADS);
      stream.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
      expect((await stream.status).code).toBe(Code.PermissionDenied);
    }
  });
});

describe.each(PATHS)("bearer token authorization in onStreamOpen with %s, %s", (kind, _path, fastPath) => {
  let server: XdsServer | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
  });

  it("serves the right token and refuses a wrong or missing one with UNAUTHENTICATED", async () => {
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    const token = "s3cret-token";
    const authorize = (stream: StreamInfo) => {
      if (stream.requestHeader.get("authorization") !== `Bearer ${token}`) {
        throw new ConnectError("a valid bearer token is required", Code.Unauthenticated);
      }
    };
    // SotW and delta streams both open through onStreamOpen.
    server = createXdsServer(cache, {
      fastPath,
      closeTimeoutMs: 200,
      callbacks: { onStreamOpen: authorize },
    });
    const listener = await server.listen();
    client = openClient(kind, listener.url);
    const good = client.open(ADS, { authorization: `Bearer ${token}` });
    good.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await good.next()).versionInfo).toBe("1");
    const wrong = client.open(ADS, { authorization: "Bearer nope" });
    wrong.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    const status = await wrong.status;
    expect(status.code).toBe(Code.Unauthenticated);
    expect(status.message).toBe("a valid bearer token is required");
    const missing = client.open(DELTA_ADS);
    missing.send({ node: NODE_A, typeUrl: CLUSTER_TYPE_URL });
    expect((await missing.status).code).toBe(Code.Unauthenticated);
  });
});
