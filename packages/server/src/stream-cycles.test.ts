import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { describe, expect, it } from "vitest";
import { connectClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, NODE, SERVING, startServer, until } from "./test-fixtures.test-helper.js";

const gc = (globalThis as { gc?: () => void }).gc;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
}

describe.each(SERVING)("stream lifecycle, $name", ({ serve }) => {
  it("leaves no watch and no heap growth after 1,000 open/close cycles", async () => {
    expect(gc).toBeTypeOf("function");
    let open = 0;
    const harness = await startServer({
      ...serve,
      callbacks: {
        onStreamOpen: () => {
          open += 1;
        },
        onStreamClosed: () => {
          open -= 1;
        },
      },
    });
    harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a"), cluster("b")]);
    harness.cache.set(ENDPOINT_TYPE_URL, "v1", [endpoints("a")]);
    const client = connectClient(harness.url);
    const finish = async (stream: { end(): void; cancel(): void; status: Promise<unknown> }, i: number) => {
      if (i % 3 === 0) stream.end();
      else stream.cancel();
      await stream.status;
    };
    // Each cycle leaves a second type waiting on the cache: its watch must go when the stream does.
    const cycle = async (i: number) => {
      if (i % 2 === 1) {
        const stream = client.open(AggregatedDiscoveryService.method.deltaAggregatedResources);
        stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
        await stream.next();
        stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["zz"] });
        await finish(stream, i);
      } else {
        const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
        stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
        await stream.next();
        stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["zz"] });
        await finish(stream, i);
      }
    };
    const run = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => cycle(i + j)));
      }
      await until(() => open === 0 && harness.cache.watchCount === 0, 5000);
    };
    await run(0, 200);
    const baseline = await settledHeap();
    await run(200, Number(process.env.CYCLES ?? 1000));
    const after = await settledHeap();
    expect(open).toBe(0);
    expect(harness.cache.watchCount).toBe(0);
    const growth = after - baseline;
    console.log(`heap: baseline ${(baseline / 1048576).toFixed(1)} MiB, after more cycles ${(after / 1048576).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(4 * 1024 * 1024);
    client.close();
    await harness.close();
  });
});
