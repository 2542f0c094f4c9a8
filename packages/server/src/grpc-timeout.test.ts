// grpc-timeout (the client's deadline) on every way of serving gRPC streams:
// the stream ends with DEADLINE_EXCEEDED when it passes, and its watches and
// place under maxStreams are given back.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { afterEach, describe, expect, it } from "vitest";
import { rawCall } from "./raw-grpc.test-helper.js";
import { cluster, type Harness, NODE, startServer, until } from "./test-fixtures.test-helper.js";
import { parseGrpcTimeout } from "./grpc-timeout.js";

const ADS_PATH = `/${AggregatedDiscoveryService.typeName}/${AggregatedDiscoveryService.method.streamAggregatedResources.name}`;
const first = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: NODE, typeUrl: CLUSTER_TYPE_URL }));
const DEADLINE_EXCEEDED = 4;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe.each([
  ["fast path", true],
  ["connect-node", false],
])("grpc-timeout over %s", (_name, fastPath) => {
  it("ends a stream at its deadline with DEADLINE_EXCEEDED, after serving it until then", async () => {
    const closed: number[] = [];
    harness = await startServer({ fastPath, callbacks: { onStreamClosed: (s) => void closed.push(s.id) } });
    harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const started = performance.now();
    const call = rawCall(harness.url, ADS_PATH, { headers: { "grpc-timeout": "400m" } });
    call.send(first);
    await expect.poll(() => call.messages.length).toBe(1);
    expect(fromBinary(DiscoveryResponseSchema, call.messages[0] ?? Buffer.alloc(0)).versionInfo).toBe("v1");
    const status = await Promise.race([call.status, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))]);
    expect(status?.code).toBe(DEADLINE_EXCEEDED);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    await until(() => closed.length === 1);
    expect(harness.server.context.openStreams).toBe(0);
    call.close();
  });
});

describe("parseGrpcTimeout", () => {
  it("reads every unit of the gRPC spec and refuses the rest", () => {
    expect(parseGrpcTimeout("2H")).toBe(7_200_000);
    expect(parseGrpcTimeout("3M")).toBe(180_000);
    expect(parseGrpcTimeout("5S")).toBe(5000);
    expect(parseGrpcTimeout("250m")).toBe(250);
    expect(parseGrpcTimeout("1500u")).toBe(1.5);
    expect(parseGrpcTimeout("2000000n")).toBe(2);
    expect(parseGrpcTimeout("123456789S")).toBeUndefined();
    expect(parseGrpcTimeout("1.5S")).toBeUndefined();
    expect(parseGrpcTimeout("10")).toBeUndefined();
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
  });
});
