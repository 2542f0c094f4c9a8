import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { ClusterDiscoveryService } from "@xdskit/envoy-api/envoy/service/cluster/v3/cds_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { afterEach, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { type TestClient, openClient } from "./test-clients.test-helper.js";
import { cluster, type Harness, NODE, startServer, MATRIX, SERVING } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;

describe.each(MATRIX)("bad input over %s, %s", (kind, _serving, serve) => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
  });

  async function setup(options: Parameters<typeof startServer>[0] = {}, cache?: TestCache) {
    harness = await startServer({ ...serve, ...options }, cache);
    harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    client = openClient(kind, harness.url);
    return { cache: harness.cache, client };
  }

  it("refuses a first request without a node with INVALID_ARGUMENT, naming the field", async () => {
    const { client } = await setup();
    const stream = client.open(ADS);
    stream.send({ typeUrl: CLUSTER_TYPE_URL });
    const status = await stream.status;
    expect(status.code).toBe(Code.InvalidArgument);
    expect(decodeURIComponent(status.message)).toContain('"node"');
    const delta = client.open(DELTA_ADS);
    delta.send({ typeUrl: CLUSTER_TYPE_URL });
    expect((await delta.status).code).toBe(Code.InvalidArgument);
  });

  it("refuses an ADS request without a type URL", async () => {
    const { client } = await setup();
    const stream = client.open(ADS);
    stream.send({ node: NODE });
    const status = await stream.status;
    expect(status.code).toBe(Code.InvalidArgument);
    expect(decodeURIComponent(status.message)).toContain("type_url");
  });

  it("refuses another type on a per-type service, and fills in an empty one", async () => {
    const { client } = await setup();
    const ok = client.open(ClusterDiscoveryService.method.streamClusters);
    ok.send({ node: NODE });
    expect((await ok.next()).resources).toHaveLength(1);
    const wrong = client.open(ClusterDiscoveryService.method.streamClusters);
    wrong.send({ node: NODE, typeUrl: LISTENER_TYPE_URL });
    const status = await wrong.status;
    expect(status.code).toBe(Code.InvalidArgument);
    expect(decodeURIComponent(status.message)).toContain(LISTENER_TYPE_URL);
    const wrongDelta = client.open(ClusterDiscoveryService.method.deltaClusters);
    wrongDelta.send({ node: NODE, typeUrl: LISTENER_TYPE_URL });
    expect((await wrongDelta.status).code).toBe(Code.InvalidArgument);
  });

  it("ignores a type the cache does not serve, even on the first request; the stream serves the others", async () => {
    const { client } = await setup({}, new TestCache([CLUSTER_TYPE_URL]));
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: "type.googleapis.com/example.Unknown" });
    stream.send({ typeUrl: CLUSTER_TYPE_URL });
    const response = await stream.next();
    expect(response.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(response.resources).toHaveLength(1);
  });

  it("lets onStreamOpen refuse a stream with its own status, and reports other failures as INTERNAL", async () => {
    const { client } = await setup({
      callbacks: {
        onStreamOpen: async (stream) => {
          // Delta streams open through the same hook: this one fails them all.
          if (stream.protocol === "delta") throw new Error("boom");
          if (stream.requestHeader.get("authorization") !== "Bearer good") {
            throw new ConnectError("bad token", Code.PermissionDenied);
          }
        },
      },
    });
    const refused = client.open(ADS, { authorization: "Bearer bad" });
    refused.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const status = await refused.status;
    expect(status.code).toBe(Code.PermissionDenied);
    expect(status.message).toContain("bad token");
    const allowed = client.open(ADS, { authorization: "Bearer good" });
    allowed.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await allowed.next()).versionInfo).toBe("v1");
    const delta = client.open(DELTA_ADS);
    delta.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await delta.status).code).toBe(Code.Internal);
  });

  it("ends a stream whose request fails a request callback, with that status", async () => {
    const { client } = await setup({
      callbacks: {
        onStreamRequest: (_stream, request) => {
          if (request.resourceNames.includes("forbidden")) throw new ConnectError("not yours", Code.PermissionDenied);
        },
      },
    });
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, resourceNames: ["forbidden"] });
    expect((await stream.status).code).toBe(Code.PermissionDenied);
  });
});

describe.each(SERVING)("malformed messages, $name", ({ serve }) => {
  it("ends only the stream that sent garbage, with a clear status", async () => {
    const harness = await startServer(serve);
    harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const raw = new grpc.Client(harness.url.replace("http://", ""), grpc.credentials.createInsecure());
    try {
      const good = openClient("connect", harness.url).open(ADS);
      good.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
      const first = await good.next();
      const bad = raw.makeBidiStreamRequest(
        `/${AggregatedDiscoveryService.typeName}/StreamAggregatedResources`,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => fromBinary(DiscoveryResponseSchema, bytes),
      );
      const status = new Promise<grpc.StatusObject>((resolve) => bad.on("status", resolve));
      bad.on("error", () => {});
      bad.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
      const ended = await status;
      expect(ended.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(ended.details.length).toBeGreaterThan(0);
      good.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
      harness.cache.set(CLUSTER_TYPE_URL, "v2", [cluster("a"), cluster("b")]);
      expect((await good.next()).versionInfo).toBe("v2");
    } finally {
      raw.close();
      await harness.close();
    }
  });
});
