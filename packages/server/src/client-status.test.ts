import { fromBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { ClientResourceStatus } from "@xdskit/envoy-api/envoy/admin/v3/config_dump_shared_pb";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { ClientStatusDiscoveryService, ConfigStatus } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { STATUS_LIMITS } from "@xdskit/server";
import { PullMetricReader } from "@xdskit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, type Harness, NODE, SERVING, startServer, until } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const CSDS = ClientStatusDiscoveryService.method.streamClientStatus;

/** Every data point of the instrument `name`, as [attributes, value]. */
async function points(reader: PullMetricReader, name: string): Promise<Array<[Record<string, unknown>, unknown]>> {
  return (await reader.points()).filter((p) => p.name === name).map((p) => [p.attributes, p.value]);
}

describe.each(SERVING.map((s) => [s.name, s.serve] as const))("client status and CSDS over %s", (_name, serve) => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
    client = undefined;
    harness = undefined;
  });

  it("tracks sent, ACKed and NACKed per type, answers CSDS per resource, and counts in metrics", async () => {
    const reader = new PullMetricReader();
    harness = await startServer({ ...serve, csds: true, meterProvider: new MeterProvider({ readers: [reader] }) });
    const { cache, server } = harness;
    client = connectClient(harness.url);
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    cache.set(ENDPOINT_TYPE_URL, "e1", [endpoints("a")]);
    const ads = client.open(ADS);
    const node = { ...NODE, userAgentName: "envoy", userAgentVersionType: { case: "userAgentVersion" as const, value: "1.40.0" } };
    ads.send({ node, typeUrl: CLUSTER_TYPE_URL });
    const clusters = await ads.next();
    ads.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "missing"] });
    const eds = await ads.next();
    expect(server.context.clientStatus()[0]?.types.map((t) => [t.typeUrl, t.state])).toEqual([
      [CLUSTER_TYPE_URL, "pending"],
      [ENDPOINT_TYPE_URL, "pending"],
    ]);
    ads.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: clusters.nonce });
    ads.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "e1", responseNonce: eds.nonce, resourceNames: ["a", "missing"] });
    await until(() => server.context.clientStatus()[0]?.types.every((t) => t.state === "acked") === true);
    const [stream] = server.context.clientStatus();
    expect(stream?.node).toEqual({ id: NODE.id, cluster: NODE.cluster, locality: undefined, userAgent: "envoy/1.40.0" });
    expect(stream?.protocol).toBe("sotw");
    expect(stream?.peer.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const edsStatus = stream?.types[1];
    expect({ wildcard: edsStatus?.wildcard, names: edsStatus?.names, acked: edsStatus?.acked?.version, nack: edsStatus?.nack }).toEqual({
      wildcard: false,
      names: ["a", "missing"],
      acked: "e1",
      nack: undefined,
    });

    // CSDS over the same transport: one ClientConfig for the node, one entry per resource.
    const csds = client.open(CSDS);
    csds.send({});
    const status = await csds.next();
    expect(status.config).toHaveLength(1);
    expect(status.config[0]?.node?.id).toBe(NODE.id);
    const entries = status.config[0]?.genericXdsConfigs.map((c) => [c.typeUrl, c.name, c.versionInfo, ConfigStatus[c.configStatus], ClientResourceStatus[c.clientStatus]]);
    expect(entries).toEqual([
      [CLUSTER_TYPE_URL, "a", "v1", "SYNCED", "ACKED"],
      [CLUSTER_TYPE_URL, "b", "v1", "SYNCED", "ACKED"],
      [ENDPOINT_TYPE_URL, "a", "e1", "SYNCED", "ACKED"],
      [ENDPOINT_TYPE_URL, "missing", "", "NOT_SENT", "DOES_NOT_EXIST"],
    ]);
    const a = status.config[0]?.genericXdsConfigs[0]?.xdsConfig;
    expect(a && fromBinary(ClusterSchema, a.value).name).toBe("a");

    // v2 is NACKed with a 1 MB message: the status keeps Envoy's reason, capped.
    cache.set(CLUSTER_TYPE_URL, "v2", [cluster("a", 2)]);
    const v2 = await ads.next();
    const huge = `bad cluster a: ${"x".repeat(1024 * 1024)}`;
    ads.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v2.nonce, errorDetail: { code: 3, message: huge } });
    await until(() => server.context.clientStatus()[0]?.types[0]?.state === "nacked");
    const nack = server.context.clientStatus()[0]?.types[0]?.nack;
    expect(nack?.version).toBe("v2");
    expect(nack?.current).toBe(true);
    expect(nack?.message.length).toBe(STATUS_LIMITS.maxMessageLength);
    expect(nack?.message.startsWith("bad cluster a: xxx")).toBe(true);
    expect(nack?.message.endsWith("…")).toBe(true);
    csds.send({ excludeResourceContents: true });
    const nacked = (await csds.next()).config[0]?.genericXdsConfigs ?? [];
    const [ca, cb] = nacked;
    expect([ca?.name, ca?.versionInfo, ConfigStatus[ca?.configStatus ?? 0], ClientResourceStatus[ca?.clientStatus ?? 0]]).toEqual(["a", "v1", "ERROR", "NACKED"]);
    expect({ version: ca?.errorState?.versionInfo, details: ca?.errorState?.details.length, contents: ca?.xdsConfig }).toEqual({
      version: "v2",
      details: STATUS_LIMITS.maxMessageLength,
      contents: undefined,
    });
    // b is gone from v2, which the client rejected: it still holds b at v1.
    expect([cb?.name, cb?.versionInfo, ClientResourceStatus[cb?.clientStatus ?? 0]]).toEqual(["b", "v1", "ACKED"]);

    // The fix is ACKed: the NACK is no longer current.
    cache.set(CLUSTER_TYPE_URL, "v3", [cluster("a", 3)]);
    const v3 = await ads.next();
    ads.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v3", responseNonce: v3.nonce });
    await until(() => server.context.clientStatus()[0]?.types[0]?.state === "acked");
    expect(server.context.clientStatus()[0]?.types[0]?.nack?.current).toBe(false);

    const type = (name: string) => ({ "xds.protocol": "sotw", "xds.type": name });
    expect(await points(reader, "xds.server.nacks")).toEqual([
      [type("envoy.config.cluster.v3.Cluster"), 1],
      [type("envoy.config.endpoint.v3.ClusterLoadAssignment"), 0],
    ]);
    expect(await points(reader, "xds.server.acks")).toEqual([
      [type("envoy.config.cluster.v3.Cluster"), 2],
      [type("envoy.config.endpoint.v3.ClusterLoadAssignment"), 1],
    ]);
    expect(await points(reader, "xds.server.responses")).toEqual([
      [type("envoy.config.cluster.v3.Cluster"), 3],
      [type("envoy.config.endpoint.v3.ClusterLoadAssignment"), 1],
    ]);
    expect(await points(reader, "xds.server.streams")).toEqual([[{ "xds.protocol": "sotw", "xds.service": "ads" }, 1]]);
    expect(await points(reader, "xds.server.nodes")).toEqual([
      [type("envoy.config.cluster.v3.Cluster"), 1],
      [type("envoy.config.endpoint.v3.ClusterLoadAssignment"), 1],
    ]);
    const [[, sent]] = (await points(reader, "xds.server.response.bytes")) as [[unknown, number]];
    // Connect serializes its messages itself: no bytes are counted there.
    if (serve.fastPath || serve.grpcJs === true) expect(sent).toBeGreaterThan(0);
    else expect(sent).toBe(0);
  });

  it("CSDS honours node matchers: by id (exact, prefix, regex) and by metadata", async () => {
    harness = await startServer({ ...serve, csds: true });
    const { cache } = harness;
    client = connectClient(harness.url);
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const nodes = [
      { id: "edge-1", metadata: { zone: "a", canary: true } },
      { id: "edge-2", metadata: { zone: "b" } },
      { id: "mesh-1" },
    ];
    for (const node of nodes) {
      const ads = client.open(ADS);
      ads.send({ node, typeUrl: CLUSTER_TYPE_URL });
      await ads.next();
    }
    const csds = client.open(CSDS);
    const ids = async (request: Parameters<typeof csds.send>[0]) => {
      csds.send(request);
      return (await csds.next()).config.map((c) => c.node?.id);
    };
    expect(await ids({})).toEqual(["edge-1", "edge-2", "mesh-1"]);
    expect(await ids({ nodeMatchers: [{ nodeId: { matchPattern: { case: "exact", value: "mesh-1" } } }] })).toEqual(["mesh-1"]);
    expect(await ids({ nodeMatchers: [{ nodeId: { matchPattern: { case: "prefix", value: "EDGE-" }, ignoreCase: true } }] })).toEqual(["edge-1", "edge-2"]);
    expect(await ids({ nodeMatchers: [{ nodeId: { matchPattern: { case: "safeRegex", value: { regex: "edge-[2-9]" } } } }] })).toEqual(["edge-2"]);
    const byZone = (zone: string) => ({
      nodeMetadatas: [{ path: [{ segment: { case: "key" as const, value: "zone" } }], value: { matchPattern: { case: "stringMatch" as const, value: { matchPattern: { case: "exact" as const, value: zone } } } } }],
    });
    expect(await ids({ nodeMatchers: [byZone("b")] })).toEqual(["edge-2"]);
    // OR over matchers.
    expect(await ids({ nodeMatchers: [byZone("a"), { nodeId: { matchPattern: { case: "exact", value: "mesh-1" } } }] })).toEqual(["edge-1", "mesh-1"]);
    csds.send({ nodeMatchers: [{ nodeId: { matchPattern: { case: "safeRegex", value: { regex: "(" } } } }] });
    expect(await csds.status).toEqual({ code: 3, message: expect.stringContaining('node_id.safe_regex.regex "(" is not a valid regular expression') });
  });

  it("caps what a client can grow: names and node text", async () => {
    harness = await startServer({ ...serve, csds: true, legacyWildcard: false });
    client = connectClient(harness.url);
    const long = "n".repeat(100_000);
    const names = Array.from({ length: STATUS_LIMITS.maxNamesPerType + 5 }, (_, i) => `name-${i}`);
    const ads = client.open(ADS);
    ads.send({ node: { id: long, cluster: long }, typeUrl: ENDPOINT_TYPE_URL, resourceNames: [long, ...names] });
    await until(() => harness?.server.context.clientStatus()[0]?.types.length === 1);
    const [stream] = harness.server.context.clientStatus();
    expect(stream?.node?.id.length).toBe(STATUS_LIMITS.maxTextLength);
    expect(stream?.node?.cluster.length).toBe(STATUS_LIMITS.maxTextLength);
    const type = stream?.types[0];
    expect({ listed: type?.names.length, count: type?.nameCount, first: type?.names[0]?.length }).toEqual({
      listed: STATUS_LIMITS.maxNamesPerType,
      count: STATUS_LIMITS.maxNamesPerType + 6,
      first: STATUS_LIMITS.maxTextLength,
    });
    const csds = client.open(CSDS);
    csds.send({});
    const config = (await csds.next()).config[0];
    expect(config?.node?.id.length).toBe(STATUS_LIMITS.maxTextLength);
    expect(config?.genericXdsConfigs.length).toBe(STATUS_LIMITS.maxNamesPerType);
    expect(config?.genericXdsConfigs.every((c) => c.name.length <= STATUS_LIMITS.maxTextLength && c.clientStatus === ClientResourceStatus.REQUESTED)).toBe(true);
  });
});

describe("CSDS and metrics", () => {
  it("CSDS is off unless enabled: UNIMPLEMENTED", async () => {
    const harness = await startServer();
    try {
      const csds = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: harness.url }));
      await expect(csds.fetchClientStatus({})).rejects.toMatchObject({ code: 12 });
    } finally {
      await harness.close();
    }
  });

  it("FetchClientStatus answers on Connect routes; rejections are counted by reason", async () => {
    const reader = new PullMetricReader();
    const harness = await startServer({ csds: true, meterProvider: new MeterProvider({ readers: [reader] }) });
    const client = connectClient(harness.url);
    try {
      const noNode = client.open(ADS);
      noNode.send({ typeUrl: CLUSTER_TYPE_URL });
      expect((await noNode.status).code).toBe(3);
      const csds = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: harness.url }));
      expect((await csds.fetchClientStatus({})).config).toEqual([]);
      await until(() => harness.server.context.openStreams === 0);
      expect(await points(reader, "xds.server.rejections")).toEqual([[{ "xds.rejection.reason": "bad-input" }, 1]]);
    } finally {
      client.close();
      await harness.close();
    }
  });
});
