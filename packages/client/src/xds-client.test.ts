import { create } from "@bufbuild/protobuf";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { type AcceptedState, ClientError, createXdsClient, type XdsClient } from "@xdskit/client";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { createXdsServer, type XdsListener, type XdsServer } from "@xdskit/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const cluster = (name: string) => create(ClusterSchema, { name });
const cla = (name: string) => create(ClusterLoadAssignmentSchema, { clusterName: name });

let cache: SnapshotCache;
let server: XdsServer;
let listener: XdsListener;
const clients: XdsClient[] = [];
const nacks: string[] = [];

function client(protocol: "sotw" | "delta", autoAck = true): XdsClient {
  const c = createXdsClient({ transport: createGrpcTransport({ baseUrl: listener.url }), node: { id: "n1" }, protocol, autoAck });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  nacks.length = 0;
  cache = createSnapshotCache({ ads: true });
  cache.setSnapshot("n1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")], [ENDPOINT_TYPE_URL]: [cla("a"), cla("b")] }));
  server = createXdsServer(cache, { callbacks: { onNack: (n) => void nacks.push(`${n.typeUrl} ${n.version} ${n.message}`) } });
  listener = await server.listen();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  cache.close();
});

describe("createXdsClient over SotW ADS", () => {
  it("receives a wildcard type, ACKs it and follows updates", async () => {
    const c = client("sotw");
    c.subscribe(CLUSTER_TYPE_URL);
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).version === "v1");
    expect([...c.state(CLUSTER_TYPE_URL).resources.keys()].sort()).toEqual(["a", "b"]);
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a")], [ENDPOINT_TYPE_URL]: [cla("a")] }));
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).version === "v2");
    expect([...c.state(CLUSTER_TYPE_URL).resources.keys()]).toEqual(["a"]);
    expect(c.state(CLUSTER_TYPE_URL).acks).toBe(2);
  });

  it("subscribes by name and unsubscribes", async () => {
    const c = client("sotw");
    c.subscribe(ENDPOINT_TYPE_URL, ["a"]);
    const first = await c.next(ENDPOINT_TYPE_URL);
    expect(first.resources.map((r) => r.name)).toEqual(["a"]);
    c.subscribe(ENDPOINT_TYPE_URL, ["b"]);
    const second = await c.next(ENDPOINT_TYPE_URL);
    expect(second.resources.map((r) => r.name).sort()).toEqual(["a", "b"]);
  });

  it("NACKs explicitly: the server hears Envoy-style error_detail, the client keeps its accepted state", async () => {
    const c = client("sotw", false);
    c.subscribe(CLUSTER_TYPE_URL);
    const v1 = await c.next(CLUSTER_TYPE_URL);
    c.ack(v1);
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("bad")], [ENDPOINT_TYPE_URL]: [cla("bad")] }));
    const v2 = await c.next(CLUSTER_TYPE_URL);
    expect(v2.version).toBe("v2");
    c.nack(v2, "cluster bad: rejected by test");
    // The server hears the NACK after the client sent it: poll, there is no client event to wait on.
    await vi.waitFor(() => expect(nacks).toHaveLength(1));
    expect(nacks).toEqual([`${CLUSTER_TYPE_URL} v2 cluster bad: rejected by test`]);
    expect(c.state(CLUSTER_TYPE_URL)).toMatchObject({ version: "v1", acks: 1, nacks: 1 });
    expect([...c.state(CLUSTER_TYPE_URL).resources.keys()].sort()).toEqual(["a", "b"]);
    await expect(c.next(CLUSTER_TYPE_URL, 300)).rejects.toBeInstanceOf(ClientError);
  });
});

describe("createXdsClient over delta ADS", () => {
  it("applies added and removed resources", async () => {
    const c = client("delta");
    c.subscribe(CLUSTER_TYPE_URL, "*");
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).resources.size === 2);
    const versionOfA = c.state(CLUSTER_TYPE_URL).resources.get("a")?.version;
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("c")], [ENDPOINT_TYPE_URL]: [cla("a"), cla("c")] }));
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).resources.has("c") && !x.state(CLUSTER_TYPE_URL).resources.has("b"));
    expect(c.state(CLUSTER_TYPE_URL).resources.get("a")?.version).toBe(versionOfA);
  });

  it("NACKs explicitly: the server hears it, the client keeps its accepted state", async () => {
    const c = client("delta", false);
    c.subscribe(CLUSTER_TYPE_URL, "*");
    const first = await c.next(CLUSTER_TYPE_URL);
    c.ack(first);
    cache.setSnapshot("n1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("c")], [ENDPOINT_TYPE_URL]: [cla("a"), cla("c")] }));
    const second = await c.next(CLUSTER_TYPE_URL);
    expect(second.resources.map((r) => r.name)).toEqual(["c"]);
    c.nack(second, "cluster c: rejected by test");
    await vi.waitFor(() => expect(nacks).toHaveLength(1));
    expect(nacks[0]).toContain("cluster c: rejected by test");
    expect(c.state(CLUSTER_TYPE_URL)).toMatchObject({ acks: 1, nacks: 1 });
    expect([...c.state(CLUSTER_TYPE_URL).resources.keys()].sort()).toEqual(["a", "b"]);
  });

  it("reports the stream's end", async () => {
    const c = client("delta");
    c.subscribe(CLUSTER_TYPE_URL, "*");
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).resources.size === 2);
    await server.close();
    const ended = await c.ended;
    expect(ended?.code).toBe(14);
  });
});

describe("createXdsClient lifetime and options", () => {
  it("close() ends the stream cleanly: waits fail as closed, later requests are dropped", async () => {
    const c = client("sotw");
    c.subscribe(CLUSTER_TYPE_URL);
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).version === "v1");
    const waiting = c.next(ENDPOINT_TYPE_URL, 5_000);
    c.close();
    expect(await c.ended).toBeUndefined();
    await expect(waiting).rejects.toMatchObject({ name: "ClientError", code: "closed" });
    // The request side is closed: these are dropped, not thrown or left as unhandled rejections.
    c.subscribe(ENDPOINT_TYPE_URL, ["a"]);
    c.unsubscribe(CLUSTER_TYPE_URL, ["*"]);
    await expect(c.waitFor(() => false, 5_000)).rejects.toMatchObject({ code: "closed" });
  });

  it("options given as undefined take their defaults: SotW, ACK on arrival", async () => {
    const c = createXdsClient({
      transport: createGrpcTransport({ baseUrl: listener.url }),
      node: { id: "n1" },
      protocol: undefined,
      autoAck: undefined,
      logger: undefined,
    });
    clients.push(c);
    c.subscribe(CLUSTER_TYPE_URL);
    const response = await c.next(CLUSTER_TYPE_URL);
    expect(response.protocol).toBe("sotw");
    await c.waitFor((x) => x.state(CLUSTER_TYPE_URL).acks === 1);
    const state: AcceptedState = c.state(CLUSTER_TYPE_URL);
    expect(state.version).toBe("v1");
  });
});
