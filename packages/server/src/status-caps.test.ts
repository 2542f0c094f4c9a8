// A hostile client against the client status: however many names, types and bytes of NACK text it
// sends, what the status (and so CSDS and the admin page) keeps and shows stays within STATUS_LIMITS.
import { toBinary } from "@bufbuild/protobuf";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { ClientResourceStatus } from "@xdskit/envoy-api/envoy/admin/v3/config_dump_shared_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { ClientStatusDiscoveryService, ClientStatusResponseSchema, ConfigStatus } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { STATUS_LIMITS } from "@xdskit/server";
import { PullMetricReader } from "@xdskit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, type Harness, NODE, startServer, until } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;
const CSDS = ClientStatusDiscoveryService.method.streamClientStatus;
const MB = "m".repeat(1024 * 1024);

/** The `xds.type` of every data point of the instrument `name`. */
async function typesOf(reader: PullMetricReader, name: string): Promise<unknown[]> {
  return (await reader.points()).filter((p) => p.name === name).map((p) => p.attributes["xds.type"]);
}

describe("the client status against a hostile client", () => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
    client = undefined;
    harness = undefined;
  });

  const csdsBytes = async (): Promise<number> => {
    const csds = client?.open(CSDS);
    csds?.send({});
    const answer = await csds?.next();
    return answer === undefined ? 0 : toBinary(ClientStatusResponseSchema, answer).length;
  };

  it("delta: 50,000 names over five requests and a 1 MB name: 1000 listed, each capped, the count whole, and neither the status nor CSDS grows past the first 10,000", async () => {
    harness = await startServer({ csds: true });
    const { server } = harness;
    client = connectClient(harness.url);
    const delta = client.open(DELTA_ADS);
    const batch = (k: number) => Array.from({ length: 10_000 }, (_, i) => `endpoints-${String(k * 10_000 + i).padStart(6, "0")}`);
    const status = () => server.context.clientStatus();
    const nameCount = () => status()[0]?.types[0]?.nameCount;

    delta.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: [MB, ...batch(0).slice(1)] });
    await until(() => nameCount() === 10_000);
    const first = JSON.stringify(status()).length;
    const firstCsds = await csdsBytes();
    for (let k = 1; k < 5; k += 1) delta.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: batch(k) });
    await until(() => nameCount() === 50_000, 10_000);

    const type = status()[0]?.types[0];
    expect({ listed: type?.names.length, count: type?.nameCount, longest: Math.max(...(type?.names ?? []).map((n) => n.length)) }).toEqual({
      listed: STATUS_LIMITS.maxNamesPerType,
      count: 50_000,
      longest: STATUS_LIMITS.maxTextLength,
    });
    expect(type?.names[0]).toBe(`${"m".repeat(STATUS_LIMITS.maxTextLength - 1)}…`);
    // 40,000 more names, and the status and CSDS answers are as large as they were (the count's digits aside).
    expect(Math.abs(JSON.stringify(status()).length - first)).toBeLessThanOrEqual(2);
    expect(Math.abs((await csdsBytes()) - firstCsds)).toBeLessThanOrEqual(2);
    const resources = server.context.clientStatus({ resources: true })[0]?.types[0]?.resources ?? [];
    expect(resources.length).toBe(STATUS_LIMITS.maxNamesPerType);
  });

  it("ADS: 150 made-up types with 10 kB type URLs: 64 listed, the count whole, each URL capped; metrics count the rest as other", async () => {
    const reader = new PullMetricReader();
    harness = await startServer({ csds: true, meterProvider: new MeterProvider({ readers: [reader] }) });
    const { server } = harness;
    client = connectClient(harness.url);
    const ads = client.open(ADS);
    const typeUrl = (i: number) => `type.googleapis.com/made.up.${"t".repeat(10_000)}.T${i}`;
    ads.send({ node: NODE, typeUrl: typeUrl(0) });
    for (let i = 1; i < 150; i += 1) ads.send({ typeUrl: typeUrl(i) });
    await until(() => server.context.clientStatus()[0]?.typeCount === 150, 10_000);
    const [stream] = server.context.clientStatus();
    expect({ listed: stream?.types.length, count: stream?.typeCount }).toEqual({ listed: STATUS_LIMITS.maxTypesPerStream, count: 150 });
    expect(stream?.types.every((t) => t.typeUrl.length === STATUS_LIMITS.maxTextLength)).toBe(true);
    // The whole status of the stream: 64 capped type URLs and little else.
    expect(JSON.stringify(stream).length).toBeLessThan(STATUS_LIMITS.maxTypesPerStream * (STATUS_LIMITS.maxTextLength + 200));
    // Metrics: 64 protocol/type pairs, then one "other" for the rest (once, a stack overflow ended the stream here).
    const types = await typesOf(reader, "xds.server.nodes");
    expect({ series: types.length, other: types.filter((t) => t === "other").length }).toEqual({ series: 65, other: 1 });
  });

  it("a 1 MB NACK message on delta: kept and shown capped at maxMessageLength, on the status and CSDS", async () => {
    harness = await startServer({ csds: true });
    const { cache, server } = harness;
    client = connectClient(harness.url);
    cache.set(CLUSTER_TYPE_URL, "1", [cluster("a")]);
    const delta = client.open(DELTA_ADS);
    delta.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await delta.next();
    delta.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    cache.set(CLUSTER_TYPE_URL, "2", [cluster("a", 2)]);
    const second = await delta.next();
    delta.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: second.nonce, errorDetail: { code: 3, message: `cluster a: ${MB}` } });
    await until(() => server.context.clientStatus()[0]?.types[0]?.state === "nacked");
    const nack = server.context.clientStatus()[0]?.types[0]?.nack;
    expect({ length: nack?.message.length, start: nack?.message.slice(0, 13), end: nack?.message.at(-1) }).toEqual({
      length: STATUS_LIMITS.maxMessageLength,
      start: "cluster a: mm",
      end: "…",
    });
    const csds = client.open(CSDS);
    csds.send({ excludeResourceContents: true });
    const [a] = (await csds.next()).config[0]?.genericXdsConfigs ?? [];
    expect([a?.name, ConfigStatus[a?.configStatus ?? 0], ClientResourceStatus[a?.clientStatus ?? 0], a?.errorState?.details.length]).toEqual([
      "a",
      "ERROR",
      "NACKED",
      STATUS_LIMITS.maxMessageLength,
    ]);
  });
});
