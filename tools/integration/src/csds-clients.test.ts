// CSDS read by two clients that are not ours on the server side: a third-party Go client (grpc-go's
// CSDS stubs) and Connect with our generated service, while our own @xdskit/client is the xDS
// client under watch: it ACKs, then NACKs with a 1 MB message, which CSDS shows capped.
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { createXdsClient } from "@xdskit/client";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClientStatusDiscoveryService } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { createXdsServer, STATUS_LIMITS } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CsdsEntry, fetchWithGoClient } from "./support/csds-go-client.js";
import { eventually } from "./support/eventually.js";

const cluster = (name: string, seconds: number) => create(ClusterSchema, { name, connectTimeout: { seconds: BigInt(seconds) } });

describe("CSDS read by a Go client and by Connect, about our @xdskit/client", () => {
  const cache = createSnapshotCache();
  const server = createXdsServer(cache, { csds: true });
  let address = "";
  let client: ReturnType<typeof createXdsClient>;

  beforeAll(async () => {
    const listener = await server.listen();
    address = `${listener.host}:${listener.port}`;
    cache.setSnapshot("client-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a", 1), cluster("b", 1)] }));
    client = createXdsClient({ transport: createGrpcTransport({ baseUrl: listener.url }), node: { id: "client-1", cluster: "tests" }, autoAck: false });
  });

  afterAll(async () => {
    client?.close();
    await server.close();
    cache.close();
  });

  const goEntries = async (args: string[] = []): Promise<readonly CsdsEntry[]> => {
    const answer = await fetchWithGoClient(address, args);
    expect(answer.config?.map((c) => c.node?.id)).toEqual(["client-1"]);
    return answer.config?.[0]?.genericXdsConfigs ?? [];
  };

  it("an ACKed version: SYNCED and ACKED, with the resource, over Fetch and Stream", async () => {
    client.subscribe(CLUSTER_TYPE_URL);
    client.ack(await client.next(CLUSTER_TYPE_URL));
    await eventually("the server took the ACK", () => expect(server.context.clientStatus()[0]?.types[0]?.state).toBe("acked"));
    for (const args of [[], ["-stream"]]) {
      const entries = await goEntries(args);
      expect(entries.map((e) => [e.name, e.versionInfo, e.configStatus, e.clientStatus, e.xdsConfig?.["@type"]])).toEqual([
        ["a", "v1", "SYNCED", "ACKED", CLUSTER_TYPE_URL],
        ["b", "v1", "SYNCED", "ACKED", CLUSTER_TYPE_URL],
      ]);
    }
  });

  it("a NACK with a 1 MB message: ERROR and NACKED, Envoy's message capped, the held version kept", async () => {
    cache.setSnapshot("client-1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a", 2)] }));
    const v2 = await client.next(CLUSTER_TYPE_URL);
    client.nack(v2, `cluster a rejected: ${"z".repeat(1024 * 1024)}`);
    await eventually("the server took the NACK", () => expect(server.context.clientStatus()[0]?.types[0]?.state).toBe("nacked"));
    const entries = await goEntries(["-contents=false"]);
    const a = entries.find((e) => e.name === "a");
    expect({ config: a?.configStatus, client: a?.clientStatus, version: a?.versionInfo, rejected: a?.errorState?.versionInfo, contents: a?.xdsConfig }).toEqual({
      config: "ERROR",
      client: "NACKED",
      version: "v1",
      rejected: "v2",
      contents: undefined,
    });
    expect(a?.errorState?.details?.length).toBe(STATUS_LIMITS.maxMessageLength);
    expect(a?.errorState?.details?.startsWith("cluster a rejected: zzz")).toBe(true);

    const connect = createClient(ClientStatusDiscoveryService, createGrpcTransport({ baseUrl: `http://${address}` }));
    const mine = (await connect.fetchClientStatus({})).config[0]?.genericXdsConfigs.find((g) => g.name === "a");
    expect(mine?.errorState?.details).toBe(a?.errorState?.details);
  });
});
