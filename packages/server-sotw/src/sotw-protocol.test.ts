// The SotW protocol without a transport: ProtocolStream driven directly over
// a real snapshot cache. Transports are tested over sockets in @xdskit/server.
import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  RESOURCE_WRAPPER_TYPE_URL,
  ROUTE_TYPE_URL,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import {
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResponse,
  DiscoveryResponseSchema,
  ResourceSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createServerContext, GrpcStatus, type NackInfo, type ServerContext, ServerError, type ServerOptions, type StreamInfo } from "@xdskit/server-core";
import type { ProtocolStream } from "@xdskit/server-core/internal";
import { createSotwProtocol } from "@xdskit/server-sotw";
import { afterEach, describe, expect, it } from "vitest";

const NODE = { id: "node-1", cluster: "test" };
const cluster = (name: string, seconds = 1) => create(ClusterSchema, { name, connectTimeout: { seconds: BigInt(seconds) } });
const endpoints = (name: string) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: 1 }] });
const listener = (name: string) => create(ListenerSchema, { name });
const route = (name: string) => create(RouteConfigurationSchema, { name });

/** A stream under test: requests in, responses pulled one at a time (a pending pull is kept, not lost). */
class Driven {
  readonly stream: ProtocolStream<DiscoveryRequest, DiscoveryResponse>;
  readonly abort = new AbortController();
  #pending: Promise<DiscoveryResponse | undefined> | undefined;
  received: Promise<void> = Promise.resolve();

  constructor(protocol: ReturnType<typeof createSotwProtocol>, typeUrl = "", headers = new Headers()) {
    this.stream = protocol.openStream({ typeUrl, requestHeader: headers, peer: undefined, signal: this.abort.signal });
  }

  send(request: MessageInitShape<typeof DiscoveryRequestSchema>): Promise<void> {
    this.received = this.received.then(() => this.stream.receive(create(DiscoveryRequestSchema, request)));
    return this.received;
  }

  #pull(): Promise<DiscoveryResponse | undefined> {
    this.#pending ??= Promise.resolve(this.stream.next()).then((chunks) =>
      chunks === undefined ? undefined : fromBinary(DiscoveryResponseSchema, Buffer.concat(chunks)),
    );
    return this.#pending;
  }

  /** The next response; fails after `ms` or when the stream ended. */
  async next(ms = 2000): Promise<DiscoveryResponse> {
    const response = await within(this.#pull(), ms);
    this.#pending = undefined;
    if (response === undefined) throw new Error("the stream ended");
    return response;
  }

  /** Fails when a response comes within `ms`. */
  async nothing(ms = 100): Promise<void> {
    const outcome = await Promise.race([this.#pull(), new Promise<"none">((resolve) => setTimeout(() => resolve("none"), ms))]);
    if (outcome !== "none") throw new Error(`unexpected response: ${outcome === undefined ? "end of stream" : outcome.versionInfo}`);
  }

  /** What the pending or next pull settles with: `undefined` at the end of the stream. */
  async end(ms = 2000): Promise<DiscoveryResponse | undefined> {
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

function setup(options: ServerOptions = {}, ads = false) {
  context = createServerContext(options);
  cache = createSnapshotCache({ ads });
  const protocol = createSotwProtocol(cache, context);
  const open = async (typeUrl = "", headers = new Headers()) => {
    const driven = new Driven(protocol, typeUrl, headers);
    streams.push(driven);
    await driven.stream.open();
    return driven;
  };
  return { cache, context, protocol, open };
}

describe("SotW protocol stream", () => {
  it("answers, is quiet after an ACK, and sends the next version with a fresh nonce", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    expect(first.versionInfo).toBe("v1");
    expect(first.typeUrl).toBe(CLUSTER_TYPE_URL);
    expect(first.resources.map((r) => r.typeUrl)).toEqual([CLUSTER_TYPE_URL, CLUSTER_TYPE_URL]);
    expect(first.nonce).not.toBe("");
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    await s.nothing();
    cache.setSnapshot(NODE.id, createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const second = await s.next();
    expect(second.versionInfo).toBe("v2");
    expect(second.resources).toHaveLength(1);
    expect(second.nonce).not.toBe(first.nonce);
  });

  it("gives the same response as a message (nextMessage) as encoded (next)", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }, { ttlMs: { [CLUSTER_TYPE_URL]: { a: 1500 } } }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const message = await within(s.stream.nextMessage(), 2000);
    expect(message?.versionInfo).toBe("v1");
    expect(message?.resources[0]?.typeUrl).toBe(RESOURCE_WRAPPER_TYPE_URL);
    const wrapper = fromBinary(ResourceSchema, message?.resources[0]?.value ?? new Uint8Array());
    expect([wrapper.name, wrapper.ttl?.seconds, wrapper.ttl?.nanos, wrapper.resource?.typeUrl]).toEqual(["a", 1n, 500_000_000, CLUSTER_TYPE_URL]);
  });

  it("reports a NACK once, keeps the last good config, and does not resend the rejected version", async () => {
    const nacks: NackInfo[] = [];
    const { cache, open } = setup({ callbacks: { onNack: async (nack) => void nacks.push(nack) } });
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const v1 = await s.next();
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v1.nonce });
    cache.setSnapshot(NODE.id, createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a", 99)] }));
    const v2 = await s.next();
    const nack = { typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v2.nonce, errorDetail: { code: 3, message: "connect_timeout too large" } };
    await s.send(nack);
    await s.nothing();
    await s.send(nack);
    await s.nothing();
    expect(nacks).toHaveLength(1);
    expect(nacks[0]).toMatchObject({ typeUrl: CLUSTER_TYPE_URL, version: "v2", nonce: v2.nonce, resourceNames: ["a"], message: "connect_timeout too large", code: 3, protocol: "sotw" });
    expect(nacks[0]?.node?.id).toBe("node-1");
    cache.setSnapshot(NODE.id, createSnapshot("v3", { [CLUSTER_TYPE_URL]: [cluster("a", 2)] }));
    expect((await s.next()).versionInfo).toBe("v3");
  });

  it("ignores a request with a stale nonce", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [endpoints("a"), endpoints("b")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a"] });
    const first = await s.next();
    expect(first.resources).toHaveLength(1);
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: "not-a-nonce", resourceNames: ["a", "b"] });
    await s.nothing();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    expect((await s.next()).resources).toHaveLength(2);
  });

  it("sends a name again when it is unsubscribed and subscribed again", async () => {
    const { cache, open } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [endpoints("a"), endpoints("b")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
    const first = await s.next();
    expect(first.resources).toHaveLength(2);
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    await s.nothing();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a"] });
    await s.nothing();
    await s.send({ typeUrl: ENDPOINT_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce, resourceNames: ["a", "b"] });
    const again = await s.next();
    expect(again.resources).toHaveLength(2);
    expect(again.nonce).not.toBe(first.nonce);
  });

  it("treats an empty first request as a wildcard only for wildcard types, honours explicit *, and can turn legacy wildcard off", async () => {
    const snapshot = createSnapshot("v1", {
      [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")],
      [ENDPOINT_TYPE_URL]: [endpoints("a")],
      [LISTENER_TYPE_URL]: [listener("l")],
    });
    const legacy = setup();
    legacy.cache.setSnapshot(NODE.id, snapshot);
    const s = await legacy.open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect((await s.next()).resources).toHaveLength(2);
    // An empty request of a non-wildcard type subscribes to nothing, which gets no answer at
    // all (not an empty one): the next answer is the listeners'.
    await s.send({ typeUrl: ENDPOINT_TYPE_URL });
    await s.send({ typeUrl: LISTENER_TYPE_URL, resourceNames: ["*"] });
    const listeners = await s.next();
    expect([listeners.typeUrl, listeners.resources.length]).toEqual([LISTENER_TYPE_URL, 1]);
    await s.stream.close();
    const strict = setup({ legacyWildcard: false });
    strict.cache.setSnapshot(NODE.id, snapshot);
    const t = await strict.open();
    await t.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await t.send({ typeUrl: LISTENER_TYPE_URL, resourceNames: ["*"] });
    const strictListeners = await t.next();
    expect([strictListeners.typeUrl, strictListeners.resources.length]).toEqual([LISTENER_TYPE_URL, 1]);
  });

  for (const ordered of [true, false]) {
    it(`hands ready responses out ${ordered ? "in ADS order" : "in arrival order"}`, async () => {
      const { cache, open } = setup({ ordered }, true);
      const s = await open();
      await s.send({ node: NODE, typeUrl: ROUTE_TYPE_URL, resourceNames: ["r"] });
      await s.send({ typeUrl: LISTENER_TYPE_URL });
      await s.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["e"] });
      await s.send({ typeUrl: CLUSTER_TYPE_URL });
      await s.nothing(20);
      cache.setSnapshot(
        NODE.id,
        createSnapshot("v1", {
          [ROUTE_TYPE_URL]: [route("r")],
          [LISTENER_TYPE_URL]: [listener("l")],
          [ENDPOINT_TYPE_URL]: [endpoints("e")],
          [CLUSTER_TYPE_URL]: [cluster("c")],
        }),
      );
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) seen.push((await s.next()).typeUrl);
      const adsOrder = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
      if (ordered) expect(seen).toEqual(adsOrder);
      else expect([...seen].sort()).toEqual([...adsOrder].sort());
    });
  }

  it("keeps the node of the first request for the whole stream and fills it into later requests", async () => {
    const seen: Array<string | undefined> = [];
    const { cache, open } = setup({ callbacks: { onStreamRequest: (_s, request) => void seen.push(request.node?.id) } });
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    await s.send({ node: { id: "someone-else" }, typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    expect(seen).toEqual(["node-1", "node-1", "someone-else"]);
    expect(s.stream.info.node?.id).toBe("node-1");
  });

  it("refuses bad requests with INVALID_ARGUMENT naming the field: no node, no type URL on ADS, another type on a per-type stream", async () => {
    const { open } = setup();
    const cases: Array<[string, MessageInitShape<typeof DiscoveryRequestSchema>, string]> = [
      ["", { typeUrl: CLUSTER_TYPE_URL }, '"node"'],
      ["", { node: NODE }, "type_url"],
      [CLUSTER_TYPE_URL, { node: NODE, typeUrl: LISTENER_TYPE_URL }, LISTENER_TYPE_URL],
    ];
    for (const [typeUrl, request, named] of cases) {
      const s = await open(typeUrl);
      const failed = await s.send(request).then(() => undefined, (error: unknown) => error);
      expect(failed, named).toBeInstanceOf(Error);
      expect((failed as { status?: number }).status ?? GrpcStatus.INVALID_ARGUMENT).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect((failed as Error).message).toContain(named);
      // The stream is over: next() rejects with the same error.
      await expect(s.stream.next()).rejects.toBe(failed);
    }
    const filled = await open(CLUSTER_TYPE_URL);
    await filled.send({ node: NODE });
    expect(filled.stream.info.typeUrl).toBe(CLUSTER_TYPE_URL);
  });

  it("runs response callbacks: a throwing or rejecting one is logged and the stream goes on; an async one is awaited first", async () => {
    const errors: string[] = [];
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const logger = { debug() {}, info() {}, warn() {}, error: (message: string) => void errors.push(message) };
    const { cache, open } = setup({
      logger,
      callbacks: {
        onStreamResponse: (_s, _r, response) => {
          seen.push(response.versionInfo);
          if (response.versionInfo === "v1") throw new Error("sync failure");
          if (response.versionInfo === "v2") return Promise.reject(new Error("async failure"));
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        },
      },
    });
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    expect(first.versionInfo).toBe("v1");
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    cache.setSnapshot(NODE.id, createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("b")] }));
    const second = await s.next();
    expect(second.versionInfo).toBe("v2");
    expect(errors).toEqual(["xds callback onStreamResponse failed", "xds callback onStreamResponse failed"]);
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v2", responseNonce: second.nonce });
    cache.setSnapshot(NODE.id, createSnapshot("v3", { [CLUSTER_TYPE_URL]: [cluster("c")] }));
    // Held until the callback's promise settles.
    await s.nothing(50);
    expect(seen).toEqual(["v1", "v2", "v3"]);
    release();
    expect((await s.next()).versionInfo).toBe("v3");
  });

  it("lets a request callback end the stream with its error", async () => {
    const refusal = Object.assign(new Error("not yours"), { code: GrpcStatus.PERMISSION_DENIED });
    const { open } = setup({
      callbacks: {
        onStreamRequest: (_s, request) => {
          if (request.resourceNames.includes("forbidden")) throw refusal;
        },
      },
    });
    const s = await open();
    await expect(s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL, resourceNames: ["forbidden"] })).rejects.toBe(refusal);
    await expect(s.stream.next()).rejects.toBe(refusal);
  });

  it("runs onStreamOpen before any request and onStreamClosed once; a refusing onStreamOpen refuses the stream", async () => {
    const events: string[] = [];
    const { cache, protocol, context } = setup({
      callbacks: {
        onStreamOpen: (s: StreamInfo) => {
          events.push(`open ${s.protocol} ${s.typeUrl === "" ? "ads" : "typed"}`);
          if (s.requestHeader.get("authorization") !== "Bearer good") throw new ServerError("refused", "bad token");
        },
        onStreamClosed: (s: StreamInfo) => void events.push(`closed ${s.node?.id}`),
      },
    });
    cache.setSnapshot(NODE.id, createSnapshot("v1", {}));
    const good = new Driven(protocol, "", new Headers({ authorization: "Bearer good" }));
    await good.stream.open();
    expect(context.openStreams).toBe(1);
    await good.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    await good.stream.close();
    await good.stream.close();
    const bad = new Driven(protocol, "", new Headers({ authorization: "Bearer bad" }));
    await expect(bad.stream.open()).rejects.toMatchObject({ code: "refused", status: GrpcStatus.PERMISSION_DENIED });
    await bad.stream.close();
    expect(events).toEqual(["open sotw ads", "closed node-1", "open sotw ads"]);
    expect(context.openStreams).toBe(0);
  });

  it("refuses a stream over maxStreams at open with RESOURCE_EXHAUSTED, and admits one once another closed", async () => {
    const { open, protocol } = setup({ maxStreams: 1 });
    const first = await open();
    const second = new Driven(protocol);
    await expect(second.stream.open()).rejects.toMatchObject({ code: "limit-exceeded", status: GrpcStatus.RESOURCE_EXHAUSTED, message: expect.stringContaining("maxStreams") });
    await second.stream.close();
    await first.stream.close();
    await open();
  });

  it("ends with UNAVAILABLE on shutdown, cancelling its watches, and refuses new streams", async () => {
    const { cache, context, open, protocol } = setup();
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await s.next();
    await s.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    expect(cache.statusInfo(NODE.id)?.sotwWatches).toBe(1);
    const pending = s.end();
    context.shutdown();
    await expect(pending).rejects.toMatchObject({ code: "shutdown", status: GrpcStatus.UNAVAILABLE });
    await s.stream.close();
    expect(cache.statusInfo(NODE.id)?.sotwWatches).toBe(0);
    await expect(new Driven(protocol).stream.open()).rejects.toMatchObject({ status: GrpcStatus.UNAVAILABLE });
  });

  it("ends quietly when the client goes away", async () => {
    const { open } = setup();
    const s = await open();
    await s.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const pending = s.end();
    s.abort.abort();
    expect(await pending).toBeUndefined();
  });

  it("enforces maxResourceNamesPerRequest and maxRequestsPerSecond, the first ACK of each response free", async () => {
    const names = setup({ maxResourceNamesPerRequest: 2 });
    const s = await names.open();
    await expect(s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b", "c"] })).rejects.toMatchObject({
      status: GrpcStatus.INVALID_ARGUMENT,
      message: expect.stringContaining("limit of 2"),
    });
    const rate = setup({ maxRequestsPerSecond: 1, requestBurst: 2 });
    rate.cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
    const t = await rate.open();
    await t.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const first = await t.next();
    await t.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: first.nonce });
    await t.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["x"] });
    await expect(t.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["y"] })).rejects.toMatchObject({
      status: GrpcStatus.RESOURCE_EXHAUSTED,
      message: expect.stringContaining("maxRequestsPerSecond"),
    });
  });

  it("wraps TTL resources, heartbeats them without a body, and keeps what was sent after a heartbeat", async () => {
    context = createServerContext();
    cache = createSnapshotCache({ ads: true, heartbeatIntervalMs: 50 });
    const protocol = createSotwProtocol(cache, context);
    cache.setSnapshot(
      NODE.id,
      createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [endpoints("a"), endpoints("b")] }, { ttlMs: { [ENDPOINT_TYPE_URL]: { a: 5000 } } }),
    );
    const s = new Driven(protocol);
    streams.push(s);
    await s.stream.open();
    await s.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
    const shape = (response: DiscoveryResponse) =>
      response.resources.map((any) => {
        if (any.typeUrl !== RESOURCE_WRAPPER_TYPE_URL) return "plain";
        const wrapper = fromBinary(ResourceSchema, any.value);
        return `${wrapper.name}:${wrapper.resource === undefined ? "heartbeat" : "full"}`;
      });
    const first = await s.next();
    expect(shape(first)).toEqual(["a:full", "plain"]);
    const ack = (response: DiscoveryResponse) =>
      s.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: response.versionInfo, responseNonce: response.nonce });
    await ack(first);
    for (let i = 0; i < 3; i++) {
      const next = await s.next();
      // Only heartbeats of "a": a full re-send would mean the server forgot it had sent b.
      expect(next.versionInfo).toBe("v1");
      expect(shape(next)).toEqual(["a:heartbeat"]);
      await ack(next);
    }
  });
});

describe("SotW fetch", () => {
  it("answers from the cache, says not-modified when current, refuses a fetch without a node; runs the fetch callbacks", async () => {
    const events: string[] = [];
    const { cache, protocol } = setup({
      callbacks: {
        onFetchRequest: (fetch) => void events.push(`request ${fetch.typeUrl === CLUSTER_TYPE_URL}`),
        onFetchResponse: (_f, _r, response) => void events.push(`response ${response.versionInfo}`),
      },
    });
    cache.setSnapshot(NODE.id, createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] }));
    const call = { typeUrl: CLUSTER_TYPE_URL, requestHeader: new Headers(), peer: undefined };
    expect(protocol.fetches).toBe(true);
    const outcome = await protocol.fetch(call, create(DiscoveryRequestSchema, { node: NODE }));
    if (outcome.kind !== "response") throw new Error("expected a response");
    expect(outcome.message().resources).toHaveLength(2);
    expect(fromBinary(DiscoveryResponseSchema, outcome.bytes()).versionInfo).toBe("v1");
    expect(await protocol.fetch(call, create(DiscoveryRequestSchema, { node: NODE, versionInfo: "v1" }))).toEqual({ kind: "not-modified", version: "v1" });
    await expect(protocol.fetch(call, create(DiscoveryRequestSchema))).rejects.toMatchObject({ code: "missing-node", status: GrpcStatus.INVALID_ARGUMENT });
    await expect(protocol.fetch(call, create(DiscoveryRequestSchema, { node: NODE, typeUrl: LISTENER_TYPE_URL }))).rejects.toMatchObject({ code: "type-url-mismatch" });
    expect(events).toEqual(["request true", "response v1", "request true"]);
  });

  it("says UNIMPLEMENTED over a cache that only watches", async () => {
    const context = createServerContext();
    const protocol = createSotwProtocol({ createWatch: () => () => {}, createDeltaWatch: () => () => {} }, context);
    expect(protocol.fetches).toBe(false);
    await expect(protocol.fetch({ typeUrl: CLUSTER_TYPE_URL, requestHeader: new Headers(), peer: undefined }, create(DiscoveryRequestSchema, { node: NODE }))).rejects.toMatchObject({
      status: GrpcStatus.UNIMPLEMENTED,
    });
  });
});
