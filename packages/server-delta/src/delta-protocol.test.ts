// The delta protocol without a transport: ProtocolStream driven directly over
// a real snapshot cache. Transports are tested over sockets in @xdskit/server.
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  prepareRawResource,
  prepareResource,
  VIRTUAL_HOST_TYPE_URL,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import {
  type DeltaDiscoveryRequest,
  DeltaDiscoveryRequestSchema,
  type DeltaDiscoveryResponse,
  DeltaDiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createServerContext, GrpcStatus, type NackInfo, type ServerContext, type ServerOptions } from "@xdskit/server-core";
import type { ProtocolStream } from "@xdskit/server-core/internal";
import { createDeltaProtocol } from "@xdskit/server-delta";
import { afterEach, describe, expect, it } from "vitest";

const NODE = { id: "node-1", cluster: "test" };
const cluster = (name: string, seconds = 1) => prepareResource(ClusterSchema, { name, connectTimeout: { seconds: BigInt(seconds) } });
const endpoints = (name: string) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: 1 }] });

/** A stream under test: requests in, responses pulled one at a time (a pending pull is kept, not lost). */
class Driven {
  readonly stream: ProtocolStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  readonly abort = new AbortController();
  #pending: Promise<DeltaDiscoveryResponse | undefined> | undefined;
  received: Promise<void> = Promise.resolve();

  constructor(protocol: ReturnType<typeof createDeltaProtocol>, typeUrl = "") {
    this.stream = protocol.openStream({ typeUrl, requestHeader: new Headers(), peer: undefined, signal: this.abort.signal });
  }

  send(request: MessageInitShape<typeof DeltaDiscoveryRequestSchema>): Promise<void> {
    this.received = this.received.then(() => this.stream.receive(create(DeltaDiscoveryRequestSchema, request)));
    return this.received;
  }

  #pull(): Promise<DeltaDiscoveryResponse | undefined> {
    this.#pending ??= Promise.resolve(this.stream.next()).then((chunks) =>
      chunks === undefined ? undefined : fromBinary(DeltaDiscoveryResponseSchema, Buffer.concat(chunks)),
    );
    return this.#pending;
  }

  async next(ms = 2000): Promise<DeltaDiscoveryResponse> {
    const response = await within(this.#pull(), ms);
    this.#pending = undefined;
    if (response === undefined) throw new Error("the stream ended");
    return response;
  }

  async nothing(ms = 100): Promise<void> {
    const outcome = await Promise.race([this.#pull(), new Promise<"none">((resolve) => setTimeout(() => resolve("none"), ms))]);
    if (outcome !== "none") throw new Error(`unexpected response: ${outcome === undefined ? "end of stream" : outcome.systemVersionInfo}`);
  }

  end(ms = 2000): Promise<DeltaDiscoveryResponse | undefined> {
    return within(this.#pull(), ms);
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms))]);
}

let context: ServerContext | undefined;
let cache: SnapshotCache | undefined;
const streams: Driven[] = [];
afterEach(async () => {
  for (const driven of streams.splice(0)) await driven.stream.close();
  context?.shutdown();
  cache?.close();
});

function setup(options: ServerOptions = {}) {
  context = createServerContext(options);
  cache = createSnapshotCache();
  const protocol = createDeltaProtocol(cache, context);
  const open = async (typeUrl = "") => {
    const driven = new Driven(protocol, typeUrl);
    streams.push(driven);
    await driven.stream.open();
    return driven;
  };
  return { cache, context, protocol, open };
}

describe("delta protocol stream", () => {
  it("sends additions, then only changes and removals, each with a fresh nonce", async () => {
    const { cache, open } = setup();
    const a = cluster("a");
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [a, cluster("b")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    expect(first.resources.map((r) => r.name).sort()).toEqual(["a", "b"]);
    expect(first.resources.find((r) => r.name === "a")?.version).toBe(a.hash);
    expect(first.resources[0]?.resource?.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(first.nonce).not.toBe("");
    await s.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    await s.nothing();
    cache.setSnapshot(NODE.id, createSnapshot("2", { [CLUSTER_TYPE_URL]: [a, cluster("c")] }));
    const second = await s.next();
    expect(second.resources.map((r) => r.name)).toEqual(["c"]);
    expect(second.removedResources).toEqual(["b"]);
    expect(second.systemVersionInfo).toBe("2");
    expect(second.nonce).not.toBe(first.nonce);
  });

  it("poll: null and one wake while nothing is ready, the response once it is, and undefined or the failure at the end", async () => {
    const { cache, open } = setup();
    const s = await open();
    let wakes = 0;
    const wake = () => {
      wakes += 1;
    };
    expect(s.stream.poll(wake)).toBeNull();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect(wakes).toBe(0);
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    expect(wakes).toBe(1);
    const chunks = s.stream.poll(wake);
    if (chunks === null || chunks instanceof Promise || chunks === undefined) throw new Error(`expected a response, got ${String(chunks)}`);
    const response = fromBinary(DeltaDiscoveryResponseSchema, Buffer.concat(chunks));
    expect(response.resources.map((r) => r.name)).toEqual(["a"]);
    // Nothing more is ready: null again, and the stream's end wakes the poller, who then reads undefined.
    expect(s.stream.poll(wake)).toBeNull();
    s.abort.abort();
    expect(wakes).toBe(2);
    expect(s.stream.poll(wake)).toBeUndefined();
    // A failed stream's poll throws the failure, as next() rejects with it.
    const failing = await open();
    expect(failing.stream.poll(wake)).toBeNull();
    await expect(failing.send({ typeUrl: CLUSTER_TYPE_URL })).rejects.toMatchObject({ code: "missing-node" });
    expect(wakes).toBe(3);
    expect(() => failing.stream.poll(wake)).toThrow(expect.objectContaining({ code: "missing-node" }));
  });

  it("gives the same response as a message (nextMessage) as encoded (next)", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("a")] }, { ttlMs: { [CLUSTER_TYPE_URL]: { a: 2500 } } }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const message = await within(s.stream.nextMessage(), 2000);
    expect(message?.resources.map((r) => [r.name, r.ttl?.seconds, r.ttl?.nanos])).toEqual([["a", 2n, 500_000_000]]);
    expect(toBinary(DeltaDiscoveryResponseSchema, message ?? create(DeltaDiscoveryResponseSchema)).length).toBeGreaterThan(0);
  });

  it("subscribes, unsubscribes and re-subscribes explicit names", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("1", { [ENDPOINT_TYPE_URL]: [endpoints("x"), endpoints("y")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["x"] });
    const first = await s.next();
    expect(first.resources.map((r) => r.name)).toEqual(["x"]);
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: first.nonce, resourceNamesSubscribe: ["y"] });
    const second = await s.next();
    expect(second.resources.map((r) => r.name)).toEqual(["y"]);
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: second.nonce, resourceNamesUnsubscribe: ["y"] });
    await s.nothing();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: second.nonce, resourceNamesSubscribe: ["y"] });
    expect((await s.next()).resources.map((r) => r.name)).toEqual(["y"]);
  });

  it("skips what the client already holds (initial_resource_versions)", async () => {
    const { cache, open } = setup();
    const a = cluster("a");
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [a, cluster("b")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, initialResourceVersions: { a: a.hash } });
    expect((await s.next()).resources.map((r) => r.name)).toEqual(["b"]);
  });

  it("ignores a stale nonce without subscription changes, and applies changes whatever the nonce", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("1", { [ENDPOINT_TYPE_URL]: [endpoints("x"), endpoints("y")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["x"] });
    await s.next();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: "stale" });
    await s.nothing();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: "stale", resourceNamesSubscribe: ["y"] });
    expect((await s.next()).resources.map((r) => r.name)).toEqual(["y"]);
  });

  it("reports a NACK once and does not resend the rejected resources", async () => {
    const nacks: NackInfo[] = [];
    const { cache, open } = setup({ callbacks: { onNack: (nack) => void nacks.push(nack) } });
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    const nack = { typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce, errorDetail: { code: 3, message: "no" } };
    await s.send(nack);
    await s.nothing();
    await s.send(nack);
    await s.nothing();
    expect(nacks).toHaveLength(1);
    expect(nacks[0]).toMatchObject({ protocol: "delta", version: "1", resourceNames: ["a"], message: "no" });
    cache.setSnapshot(NODE.id, createSnapshot("2", { [CLUSTER_TYPE_URL]: [cluster("a", 5)] }));
    expect((await s.next()).systemVersionInfo).toBe("2");
  });

  it("serves the delta-only VHDS and LEDS types on their per-type streams", async () => {
    const { cache, open } = setup();
    const endpoint = prepareRawResource({ typeUrl: LB_ENDPOINT_TYPE_URL, name: "xdstp://x/ep/1", bytes: new Uint8Array([8, 1]) });
    cache.setSnapshot(
      NODE.id,
      createSnapshot("1", {
        [VIRTUAL_HOST_TYPE_URL]: [create(VirtualHostSchema, { name: "rc/host", domains: ["*"] })],
        [LB_ENDPOINT_TYPE_URL]: [endpoint],
      }),
    );
    const vhds = await open(VIRTUAL_HOST_TYPE_URL);
    await vhds.send({ node: NODE, resourceNamesSubscribe: ["rc/host"] });
    const hosts = await vhds.next();
    expect(hosts.typeUrl).toBe(VIRTUAL_HOST_TYPE_URL);
    expect(hosts.resources.map((r) => r.name)).toEqual(["rc/host"]);
    const leds = await open(LB_ENDPOINT_TYPE_URL);
    await leds.send({ node: NODE, resourceNamesSubscribe: [endpoint.name] });
    const found = await leds.next();
    expect(found.resources.map((r) => [r.name, r.version])).toEqual([[endpoint.name, endpoint.hash]]);
    expect(new Uint8Array(found.resources[0]?.resource?.value ?? [])).toEqual(endpoint.bytes);
  });

  it("refuses bad requests with INVALID_ARGUMENT: no node, another type on a per-type stream, too many names", async () => {
    const { open } = setup({ maxResourceNamesPerRequest: 3 });
    const noNode = await open();
    await expect(noNode.send({ typeUrl: CLUSTER_TYPE_URL })).rejects.toMatchObject({ status: GrpcStatus.INVALID_ARGUMENT, message: expect.stringContaining('"node"') });
    await expect(noNode.stream.next()).rejects.toMatchObject({ code: "missing-node" });
    const wrongType = await open(CLUSTER_TYPE_URL);
    await expect(wrongType.send({ node: NODE, typeUrl: LISTENER_TYPE_URL })).rejects.toMatchObject({ status: GrpcStatus.INVALID_ARGUMENT });
    const tooMany = await open();
    await expect(
      tooMany.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["a", "b"], resourceNamesUnsubscribe: ["c", "d"] }),
    ).rejects.toMatchObject({ status: GrpcStatus.INVALID_ARGUMENT, message: expect.stringContaining("4 distinct resources") });
  });

  it("opens and closes through onStreamOpen / onStreamClosed, as SotW streams do, and ends with UNAVAILABLE on shutdown", async () => {
    const events: string[] = [];
    const { cache, context, open } = setup({
      callbacks: {
        onStreamOpen: (s) => void events.push(`open ${s.protocol}`),
        onStreamClosed: (s) => void events.push(`closed ${s.protocol} ${s.node?.id}`),
      },
    });
    cache.setSnapshot(NODE.id, createSnapshot("1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    await s.send({ typeUrl: CLUSTER_TYPE_URL, responseNonce: first.nonce });
    expect(cache.statusInfo(NODE.id)?.deltaWatches).toBe(1);
    const pending = s.end();
    context.shutdown();
    await expect(pending).rejects.toMatchObject({ code: "shutdown", status: GrpcStatus.UNAVAILABLE });
    await s.stream.close();
    expect(cache.statusInfo(NODE.id)?.deltaWatches).toBe(0);
    expect(events).toEqual(["open delta", "closed delta node-1"]);
  });

  it("ends quietly when the client goes away", async () => {
    const { open } = setup();
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const pending = s.end();
    s.abort.abort();
    expect(await pending).toBeUndefined();
  });
});
