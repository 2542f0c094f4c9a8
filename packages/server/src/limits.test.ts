import * as http2 from "node:http2";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STREAMS_PER_CONNECTION } from "@xdskit/server";
import { DEFAULT_LIMITS } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { Code, openClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, type Harness, MATRIX, NODE, startServer } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;

it("documents safe defaults", () => {
  expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
  expect(DEFAULT_MAX_STREAMS_PER_CONNECTION).toBe(1000);
  expect(DEFAULT_LIMITS).toEqual({
    maxStreams: 10_000,
    maxResourceNamesPerRequest: 10_000,
    maxRequestsPerSecond: 100,
    requestBurst: 200,
  });
});

describe.each(MATRIX)("limits over %s, %s", (kind, _serving, fastPath) => {
  let harness: Harness | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  async function setup(options: Parameters<typeof startServer>[0]) {
    harness = await startServer({ fastPath, ...options });
    harness.cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    harness.cache.set(ENDPOINT_TYPE_URL, "1", [endpoints("x")]);
    return harness;
  }
  function client(): TestClient {
    if (harness === undefined) throw new Error("no server");
    const opened = openClient(kind, harness.listener.url);
    clients.push(opened);
    return opened;
  }
  // A stream that works: proof the server is up and other streams are unaffected.
  async function healthy(stream = client().open(ADS)) {
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).versionInfo).toBe("1");
    return stream;
  }

  it("refuses a message over maxMessageBytes with RESOURCE_EXHAUSTED", async () => {
    await setup({ maxMessageBytes: 256 });
    const other = await healthy();
    const big = client().open(ADS);
    big.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x".repeat(300)] });
    expect((await big.status).code).toBe(Code.ResourceExhausted);
    other.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x"] });
    expect((await other.next()).resources).toHaveLength(1);
    await healthy();
  });

  it("refuses the stream over maxStreams with RESOURCE_EXHAUSTED at open, and admits one once a slot frees", async () => {
    await setup({ maxStreams: 2 });
    const one = await healthy();
    const two = await healthy();
    const three = client().open(ADS);
    three.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const status = await three.status;
    expect(status.code).toBe(Code.ResourceExhausted);
    expect(status.message).toContain("maxStreams");
    one.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x"] });
    expect((await one.next()).resources).toHaveLength(1);
    one.end();
    expect((await one.status).code).toBe(0);
    await healthy();
    two.cancel();
  });

  it("refuses a request with more than maxResourceNamesPerRequest names with INVALID_ARGUMENT, SotW and delta", async () => {
    await setup({ maxResourceNamesPerRequest: 3 });
    const other = await healthy();
    const sotw = client().open(ADS);
    sotw.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b", "c", "d"] });
    const status = await sotw.status;
    expect(status.code).toBe(Code.InvalidArgument);
    expect(status.message).toContain("4 resources");
    expect(status.message).toContain("limit of 3");
    const delta = client().open(DELTA_ADS);
    delta.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["a", "b"], resourceNamesUnsubscribe: ["c", "d"] });
    expect((await delta.status).code).toBe(Code.InvalidArgument);
    const ok = client().open(ADS);
    ok.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x", "b", "c"] });
    expect((await ok.next()).resources).toHaveLength(1);
    other.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x"] });
    expect((await other.next()).resources).toHaveLength(1);
  });

  it("ends a stream sending faster than maxRequestsPerSecond with RESOURCE_EXHAUSTED; others keep working", async () => {
    await setup({ maxRequestsPerSecond: 5, requestBurst: 5 });
    const other = await healthy();
    const flood = client().open(ADS);
    flood.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    for (let i = 0; i < 20; i++) flood.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: [`n${i}`] });
    const status = await flood.status;
    expect(status.code).toBe(Code.ResourceExhausted);
    expect(status.message).toContain("maxRequestsPerSecond");
    other.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x"] });
    expect((await other.next()).resources).toHaveLength(1);
    await healthy();
  });
});

describe("maxStreamsPerConnection", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it("announces SETTINGS_MAX_CONCURRENT_STREAMS; a compliant client queues the extra stream until one ends", async () => {
    harness = await startServer({ maxStreamsPerConnection: 2 });
    harness.cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    const session = http2.connect(harness.listener.url);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(2);
    session.close();
    const client = openClient("grpc-js", harness.listener.url);
    try {
      const streams = [client.open(ADS), client.open(ADS), client.open(ADS)];
      for (const stream of streams) stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
      const [one, two, three] = streams as [(typeof streams)[0], (typeof streams)[0], (typeof streams)[0]];
      expect((await one.next()).versionInfo).toBe("1");
      expect((await two.next()).versionInfo).toBe("1");
      await three.nothing(200);
      one.end();
      expect((await three.next()).versionInfo).toBe("1");
    } finally {
      client.close();
    }
  });

  it("defaults to 1000", async () => {
    harness = await startServer();
    const session = http2.connect(harness.listener.url);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1000);
    session.close();
  });
});
