import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { StreamInfo } from "@xdskit/server-core";
import { afterEach, describe, expect, it } from "vitest";
import { prefixed, rawCall } from "./raw-grpc.test-helper.js";
import { connectClient } from "./test-clients.test-helper.js";
import { cluster, type Harness, NODE, startServer } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const ADS_PATH = `/${AggregatedDiscoveryService.typeName}/${ADS.name}`;
const DELTA_ADS_PATH = `/${AggregatedDiscoveryService.typeName}/${AggregatedDiscoveryService.method.deltaAggregatedResources.name}`;
const first = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: NODE, typeUrl: CLUSTER_TYPE_URL }));

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<Harness> {
  harness = await startServer(options);
  harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
  return harness;
}

describe("fast path", () => {
  it("serves gRPC: headers, pre-encoded messages, OK trailers when the client half-closes", async () => {
    const { url } = await serve();
    const call = rawCall(url, ADS_PATH);
    call.send(first);
    await expect.poll(() => call.messages.length).toBe(1);
    const response = fromBinary(DiscoveryResponseSchema, call.messages[0] ?? Buffer.alloc(0));
    expect(response.versionInfo).toBe("v1");
    expect(response.resources).toHaveLength(2);
    call.end();
    const status = await call.status;
    expect(status).toMatchObject({ code: 0, message: "" });
    expect(status.headers[":status"]).toBe(200);
    expect(status.headers["content-type"]).toBe("application/grpc");
    call.close();
  });

  it("gives callbacks the request headers (no pseudo-headers) and the peer", async () => {
    const seen: StreamInfo[] = [];
    const { url } = await serve({ callbacks: { onStreamOpen: (stream) => void seen.push(stream) } });
    const call = rawCall(url, ADS_PATH, { headers: { authorization: "Bearer t", "x-node": "n1" } });
    call.send(first);
    await expect.poll(() => call.messages.length).toBe(1);
    const stream = seen[0];
    expect(stream?.requestHeader.get("authorization")).toBe("Bearer t");
    expect(stream?.requestHeader.get("x-node")).toBe("n1");
    expect([...(stream?.requestHeader.keys() ?? [])].some((name) => name.startsWith(":"))).toBe(false);
    expect(stream?.peer?.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(stream?.peer?.tls).toBe(false);
    call.close();
    await expect.poll(() => stream?.signal.aborted).toBe(true);
  });

  it("hands requests to the stream one at a time and in order: one held by an asynchronous callback holds the ones that arrived with it", async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { url } = await serve({
      callbacks: {
        onStreamDeltaRequest: (_stream, request) => {
          seen.push(`+${request.resourceNamesSubscribe.join(",")} -${request.resourceNamesUnsubscribe.join(",")}`);
          // Only the first request waits; the others are handled synchronously.
          return seen.length === 1 ? held : undefined;
        },
      },
    });
    const delta = (init: Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1]) =>
      prefixed(toBinary(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, init)));
    const call = rawCall(url, DELTA_ADS_PATH);
    // Three requests in one write: they arrive together while the first is held.
    call.sendRaw(
      Buffer.concat([
        delta({ node: NODE, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["a"] }),
        delta({ typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["b"] }),
        delta({ typeUrl: CLUSTER_TYPE_URL, resourceNamesUnsubscribe: ["a"] }),
      ]),
    );
    await expect.poll(() => seen.length).toBe(1);
    // The other two are queued behind it, not handled, and nothing was answered yet.
    expect(seen).toEqual(["+a -"]);
    expect(call.messages).toHaveLength(0);
    release();
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual(["+a -", "+b -", "+ -a"]);
    // The changes were applied in that order: b is sent.
    const sent = () => call.messages.flatMap((bytes) => fromBinary(DeltaDiscoveryResponseSchema, bytes).resources.map((resource) => resource.name));
    await expect.poll(sent).toContain("b");
    call.end();
    await expect(call.status).resolves.toMatchObject({ code: 0 });
    call.close();
  });

  it("answers a compressed message with UNIMPLEMENTED", async () => {
    const { url } = await serve();
    const call = rawCall(url, ADS_PATH);
    call.send(first, 1);
    const status = await call.status;
    expect(status.code).toBe(Code.Unimplemented);
    expect(status.message).toContain("compressed");
    call.close();
  });

  it("answers malformed frames with INVALID_ARGUMENT: an unknown flag, garbage, a body ending inside a message", async () => {
    const { url } = await serve();
    const flag = rawCall(url, ADS_PATH);
    flag.send(first, 7);
    expect((await flag.status).code).toBe(Code.InvalidArgument);
    const garbage = rawCall(url, ADS_PATH);
    garbage.send(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    const status = await garbage.status;
    expect(status.code).toBe(Code.InvalidArgument);
    expect(status.message).toMatch(/^malformed DiscoveryRequest: parse binary: /);
    const cut = rawCall(url, ADS_PATH);
    cut.sendRaw(new Uint8Array([0, 0, 0, 0, 10, 1, 2]));
    cut.end();
    expect((await cut.status).code).toBe(Code.InvalidArgument);
    for (const call of [flag, garbage, cut]) call.close();
  });

  it("refuses a message over router.readMaxBytes with RESOURCE_EXHAUSTED", async () => {
    const { url } = await serve({ router: { readMaxBytes: 16 } });
    const call = rawCall(url, ADS_PATH);
    call.send(first);
    expect((await call.status).code).toBe(Code.ResourceExhausted);
    call.close();
  });

  it("percent-encodes grpc-message and keeps a callback's status", async () => {
    const reason = "bad token: é 100% \n done";
    const { url } = await serve({
      callbacks: {
        onStreamOpen: () => {
          throw new ConnectError(reason, Code.PermissionDenied);
        },
      },
    });
    const call = rawCall(url, ADS_PATH);
    call.send(first);
    const status = await call.status;
    expect(status).toMatchObject({ code: Code.PermissionDenied, message: reason });
    call.close();
    const viaConnect = connectClient(url).open(ADS);
    viaConnect.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    expect(await viaConnect.status).toEqual({ code: Code.PermissionDenied, message: reason });
  });

  it("leaves the Connect protocol, gRPC-Web and gzip-compressed gRPC to Connect", async () => {
    const { url } = await serve();
    const transports = [
      createConnectTransport({ baseUrl: url, httpVersion: "2" }),
      createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
      createGrpcTransport({ baseUrl: url, sendCompression: compressionGzip }),
    ];
    for (const transport of transports) {
      const ads = createClient(AggregatedDiscoveryService, transport);
      const abort = new AbortController();
      async function* requests() {
        yield { node: NODE, typeUrl: CLUSTER_TYPE_URL };
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      for await (const response of ads.streamAggregatedResources(requests(), { signal: abort.signal })) {
        expect(response.resources).toHaveLength(2);
        break;
      }
      abort.abort();
    }
  });

  it("is off when Connect interceptors are set (they would not run on it), unless asked for", async () => {
    let intercepted = 0;
    const interceptor: Interceptor = (next) => (request) => {
      intercepted += 1;
      return next(request);
    };
    const { url } = await serve({ router: { interceptors: [interceptor] } });
    const call = rawCall(url, ADS_PATH);
    call.send(first);
    await expect.poll(() => call.messages.length).toBe(1);
    expect(intercepted).toBe(1);
    call.close();
    await harness?.close();
    const forced = await serve({ fastPath: true, router: { interceptors: [interceptor] } });
    const fast = rawCall(forced.url, ADS_PATH);
    fast.send(first);
    await expect.poll(() => fast.messages.length).toBe(1);
    expect(intercepted).toBe(1);
    fast.close();
  });
});
