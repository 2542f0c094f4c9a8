import * as http2 from "node:http2";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STREAMS_PER_CONNECTION, DEFAULT_STREAM_RESET_BURST, DEFAULT_STREAM_RESET_RATE } from "@xdskit/server";
import { DEFAULT_LIMITS } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { Code, openClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, type Harness, MATRIX, NODE, startServer } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;
const ADS_PATH = `/${AggregatedDiscoveryService.typeName}/${ADS.name}`;

it("documents safe defaults", () => {
  expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
  expect(DEFAULT_MAX_STREAMS_PER_CONNECTION).toBe(1000);
  expect(DEFAULT_LIMITS).toEqual({
    maxStreams: 10_000,
    maxResourceNamesPerRequest: Number.POSITIVE_INFINITY,
    maxSubscribedNameBytes: 64 * 1024 * 1024,
    maxRequestsPerSecond: 1000,
    requestBurst: 2000,
  });
});

describe.each(MATRIX)("limits over %s, %s", (kind, _serving, serve) => {
  let harness: Harness | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  async function setup(options: Parameters<typeof startServer>[0]) {
    harness = await startServer({ ...serve, ...options });
    harness.cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    harness.cache.set(ENDPOINT_TYPE_URL, "1", [endpoints("x")]);
    return harness;
  }
  function client(): TestClient {
    if (harness === undefined) throw new Error("no server");
    const opened = openClient(kind, harness.url);
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
    expect(status.message).toContain("4 distinct resources");
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
    const session = http2.connect(harness.url);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(2);
    session.close();
    const client = openClient("grpc-js", harness.url);
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
    const session = http2.connect(harness.url);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1000);
    session.close();
  });
});

// Node reads streamResetBurst / streamResetRate from 22.11 on; older Node applies nghttp2's built-in 1000 / 33.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const tunableResetGuard = major > 22 || (major === 22 && minor >= 11);

describe("HTTP/2 rapid-reset guard", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  /** Opens and at once resets `count` ADS streams on a new connection; resolves the GOAWAY code, or "open" if none came. */
  async function resetStreams(url: string, count: number): Promise<{ goaway: number | "open"; session: http2.ClientHttp2Session }> {
    const session = http2.connect(url);
    session.on("error", () => {});
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    for (let i = 0; i < count; i++) {
      const stream = session.request({ ":method": "POST", ":path": ADS_PATH, "content-type": "application/grpc", te: "trailers" });
      stream.on("error", () => {});
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    const settled = await Promise.race([goaway, new Promise<"open">((resolve) => setTimeout(() => resolve("open"), 500))]);
    return { goaway: settled, session };
  }

  it("defaults to nghttp2's own limits: a burst of 1000 resets, then 33 a second", () => {
    expect([DEFAULT_STREAM_RESET_BURST, DEFAULT_STREAM_RESET_RATE]).toEqual([1000, 33]);
  });

  it.skipIf(!tunableResetGuard)("closes a connection resetting streams faster than streamResetBurst / streamResetRate; others are served", async () => {
    harness = await startServer({ streamResetBurst: 10, streamResetRate: 1 });
    harness.cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    const flood = await resetStreams(harness.url, 40);
    expect(flood.goaway).not.toBe("open");
    flood.session.destroy();
    const client = openClient("connect", harness.url);
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await stream.next()).versionInfo).toBe("1");
    client.close();
  });

  it.skipIf(!tunableResetGuard)("lets the same resets through under the defaults", async () => {
    harness = await startServer();
    const calm = await resetStreams(harness.url, 40);
    expect(calm.goaway).toBe("open");
    calm.session.close();
  });
});
