import { create, toBinary } from "@bufbuild/protobuf";
import {
  type CachedResource,
  CLUSTER_TYPE_URL,
  type ConfigWatcher,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  prepareRawResource,
  ROUTE_TYPE_URL,
} from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createConnectXdsServer as createXdsServer } from "@xdskit/server/connect";
import { describe, expect, it } from "vitest";
import { rawCall } from "./raw-grpc.test-helper.js";
import { TestCache } from "./test-cache.test-helper.js";
import { NODE, SERVING, startGrpcJsServer, until } from "./test-fixtures.test-helper.js";

const TYPES = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
const ADS_PATH = `/${AggregatedDiscoveryService.typeName}/${AggregatedDiscoveryService.method.streamAggregatedResources.name}`;
const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
}

// 100 KB per resource: a server that queued every answer would hold hundreds of MB.
function big(typeUrl: string, round: number): CachedResource {
  const bytes = new Uint8Array(100 * 1024);
  bytes.fill(round % 251);
  return prepareRawResource({ typeUrl, name: `r-${round}`, bytes });
}

// The cache, with every answer it hands to the server tracked weakly: what is
// still alive after GC is what the server holds (queued or being written).
function tracked(cache: TestCache): { watcher: ConfigWatcher; answers: Array<WeakRef<object>> } {
  const answers: Array<WeakRef<object>> = [];
  const watcher: ConfigWatcher = {
    createWatch: (request, subscription, respond) =>
      cache.createWatch(request, subscription, (response) => {
        answers.push(new WeakRef(response));
        respond(response);
      }),
    createDeltaWatch: (request, subscription, respond) => cache.createDeltaWatch(request, subscription, respond),
  };
  return { watcher, answers };
}

describe.each(SERVING)("a client that never reads, $name", ({ serve }) => {
  it("holds at most one unsent response per type, and the heap stays flat", async () => {
    expect(gc).toBeTypeOf("function");
    const cache = new TestCache();
    const { watcher, answers } = tracked(cache);
    let written = 0;
    // The flood of requests is the point here, not the rate limit.
    const server = createXdsServer(watcher, { fastPath: serve.fastPath, closeTimeoutMs: 200, maxRequestsPerSecond: Number.POSITIVE_INFINITY, callbacks: {
        onStreamResponse: () => {
          written += 1;
        },
      },
    });
    const served = serve.grpcJs === true ? await startGrpcJsServer(server) : await server.listen();
    for (const typeUrl of TYPES) cache.set(typeUrl, "v0", [big(typeUrl, 0)]);
    const call = rawCall(served.url, ADS_PATH, { read: false });
    const request = (typeUrl: string, withNode: boolean) =>
      toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { ...(withNode ? { node: NODE } : {}), typeUrl, resourceNames: ["*"], responseNonce: "1" }));
    for (const [i, typeUrl] of TYPES.entries()) call.send(request(typeUrl, i === 0));
    await until(() => answers.length >= TYPES.length);
    // Each round: new content for every type, and a request per type that
    // makes the server watch again (the client guesses nonce "1"), so every
    // round hands the server four new 100 KB answers it cannot write.
    const rounds = async (from: number, count: number) => {
      for (let round = from; round < from + count; round++) {
        for (const typeUrl of TYPES) cache.set(typeUrl, `v${round}`, [big(typeUrl, round)]);
        for (const typeUrl of TYPES) call.send(request(typeUrl, false));
        if (round % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await rounds(1, 20);
    const baseline = await settledHeap();
    const handed = answers.length;
    await rounds(21, 300);
    const after = await settledHeap();
    expect(answers.length - handed).toBeGreaterThan(600);
    const alive = answers.filter((answer) => answer.deref() !== undefined).length;
    console.log(`answers handed ${answers.length}, alive ${alive}, written ${written}, heap growth ${((after - baseline) / 1048576).toFixed(1)} MiB`);
    // One unsent answer per type, plus the one whose write waits for the client.
    expect(alive).toBeLessThanOrEqual(TYPES.length + 1);
    expect(written).toBeLessThanOrEqual(TYPES.length + 1);
    expect(after - baseline).toBeLessThan(8 * 1024 * 1024);
    call.close();
    await server.close();
    if (serve.grpcJs === true) await served.close();
  });
});
