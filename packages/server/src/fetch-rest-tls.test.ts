import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer } from "@xdskit/server";
import type { PeerInfo } from "@xdskit/server-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { connectClient } from "./test-clients.test-helper.js";
import { cluster, type Harness, NODE, startServer, until } from "./test-fixtures.test-helper.js";

function post(url: string, path: string, body: string): Promise<{ status: number; body: string; version: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text, version: response.httpVersion }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

describe("Fetch, REST and callbacks", () => {
  let harness: Harness;
  const events: string[] = [];
  beforeAll(async () => {
    harness = await startServer({
      callbacks: {
        onStreamOpen: (s) => void events.push(s.protocol === "delta" ? "delta open" : `open ${s.protocol} ${s.peer?.address?.startsWith("127.0.0.1:")}`),
        onStreamRequest: (_s, r) => void events.push(`request ${r.node?.id}`),
        onStreamResponse: async (_s, _r, response) => void events.push(`response ${response.versionInfo}`),
        onStreamClosed: (s) => void events.push(s.protocol === "delta" ? "delta closed" : `closed ${s.node?.id}`),
        onStreamDeltaRequest: () => void events.push("delta request"),
        onStreamDeltaResponse: () => void events.push("delta response"),
        onFetchRequest: (f) => void events.push(`fetch request ${f.typeUrl === CLUSTER_TYPE_URL}`),
        onFetchResponse: (_f, _r, response) => void events.push(`fetch response ${response.versionInfo}`),
      },
    });
    harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
  });
  afterAll(async () => {
    await harness.close();
  });

  it("answers gRPC Fetch, and FAILED_PRECONDITION when the client is current", async () => {
    const client = createClient(ClusterDiscoveryService, createGrpcTransport({ baseUrl: harness.url }));
    const response = await client.fetchClusters({ node: NODE });
    expect(response.versionInfo).toBe("v1");
    expect(response.resources).toHaveLength(2);
    const current = await client.fetchClusters({ node: NODE, versionInfo: "v1" }).catch((e: unknown) => e);
    expect(ConnectError.from(current).code).toBe(Code.FailedPrecondition);
    const noNode = await client.fetchClusters({}).catch((e: unknown) => e);
    expect(ConnectError.from(noNode).code).toBe(Code.InvalidArgument);
  });

  it("serves REST/JSON over HTTP/1.1: 200, then 304 when current, 400 for bad input", async () => {
    const url = harness.url;
    const ok = await post(url, "/v3/discovery:clusters", JSON.stringify({ node: { id: "n" } }));
    expect(ok.version).toBe("1.1");
    expect(ok.status).toBe(200);
    const json = JSON.parse(ok.body) as { versionInfo: string; resources: Array<{ "@type": string; name: string }> };
    expect(json.versionInfo).toBe("v1");
    expect(json.resources.map((r) => [r["@type"], r.name])).toEqual([
      [CLUSTER_TYPE_URL, "a"],
      [CLUSTER_TYPE_URL, "b"],
    ]);
    const current = await post(url, "/v3/discovery:clusters", JSON.stringify({ node: { id: "n" }, versionInfo: "v1" }));
    expect(current.status).toBe(304);
    const badJson = await post(url, "/v3/discovery:clusters", "{not json");
    expect(badJson.status).toBe(400);
    const noNode = await post(url, "/v3/discovery:clusters", "{}");
    expect(noNode.status).toBe(400);
    expect(noNode.body).toContain("node");
    const wrongType = await post(url, "/v3/discovery:clusters", JSON.stringify({ node: { id: "n" }, typeUrl: "x" }));
    expect(wrongType.status).toBe(400);
    const badField = await post(url, "/v3/discovery:clusters", JSON.stringify({ node: { id: 5 } }));
    expect(badField.status).toBe(400);
  });

  it("runs every stream callback, in order", async () => {
    events.length = 0;
    const client = connectClient(harness.url);
    const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await stream.next();
    stream.cancel();
    await until(() => events.includes("closed node-1"));
    const delta = client.open(AggregatedDiscoveryService.method.deltaAggregatedResources);
    delta.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await delta.next();
    delta.cancel();
    await until(() => events.includes("delta closed"));
    await createClient(ClusterDiscoveryService, createGrpcTransport({ baseUrl: harness.url })).fetchClusters({ node: NODE });
    expect(events).toEqual([
      "open sotw true",
      "request node-1",
      "response v1",
      "closed node-1",
      "delta open",
      "delta request",
      "delta response",
      "delta closed",
      "fetch request true",
      "fetch response v1",
    ]);
    client.close();
  });
});

describe("TLS", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "xds-tls-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore" });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves ADS over TLS (h2 via ALPN)", async () => {
    const cert = readFileSync(join(dir, "cert.pem"));
    const cache = new TestCache();
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const peers: Array<PeerInfo | undefined> = [];
    const server = createXdsServer(cache, { closeTimeoutMs: 200, callbacks: { onStreamOpen: (s) => void peers.push(s.peer) } });
    const listener = await server.listen({ tls: { key: readFileSync(join(dir, "key.pem")), cert } });
    expect(listener.url.startsWith("https://")).toBe(true);
    const client = connectClient(listener.url, createGrpcTransport({ baseUrl: listener.url, nodeOptions: { ca: cert } }));
    const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).versionInfo).toBe("v1");
    expect(peers[0]?.tls).toBe(true);
    // No client certificate (none asked for): nothing verified, none handed out.
    expect(peers[0]?.certificate).toBeUndefined();
    await server.close();
    expect((await stream.status).code).toBe(Code.Unavailable);
    client.close();
  });
});
