import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createAdminHandler } from "@xdskit/admin";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DiscoveryRequestSchema, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createXdsServer } from "@xdskit/server";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

// A tiny ADS client: requests go in through a queue, responses come out in order.
function adsClient(url: string) {
  const queue: MessageInitShape<typeof DiscoveryRequestSchema>[] = [];
  let wake: (() => void) | undefined;
  const abort = new AbortController();
  async function* requests() {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) yield next;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  const ads = createClient(AggregatedDiscoveryService, createGrpcTransport({ baseUrl: url }));
  const responses = ads.streamAggregatedResources(requests(), { signal: abort.signal })[Symbol.asyncIterator]();
  return {
    send(request: MessageInitShape<typeof DiscoveryRequestSchema>) {
      queue.push(request);
      wake?.();
    },
    async next(): Promise<DiscoveryResponse> {
      const r = await responses.next();
      if (r.done) throw new Error("stream ended");
      return r.value;
    },
    close: () => abort.abort(),
  };
}

/** Reads server-sent events from a response body, one `data` at a time. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    let end = text.indexOf("\n\n");
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = block.split("\n").find((line) => line.startsWith("data: "));
      if (data !== undefined) yield JSON.parse(data.slice(6));
      end = text.indexOf("\n\n");
    }
  }
}

const cluster = (name: string, seconds = 1) => create(ClusterSchema, { name, connectTimeout: { seconds: BigInt(seconds) } });

describe("createAdminHandler", () => {
  // The handler loads the whole Envoy registry on the first node detail (the default): load it here,
  // outside the tests' timeouts (a few seconds on a loaded machine, 30+ under a full test run).
  beforeAll(async () => {
    await import("@xdskit/envoy-api/registry");
  }, 180_000);
  let cache: ReturnType<typeof createSnapshotCache>;
  let xds: ReturnType<typeof createXdsServer>;
  let admin: ReturnType<typeof createAdminHandler>;
  let web: http.Server;
  let base = "";
  let xdsUrl = "";
  let client: ReturnType<typeof adsClient> | undefined;

  beforeEach(async () => {
    cache = createSnapshotCache();
    xds = createXdsServer(cache);
    xdsUrl = (await xds.listen()).url;
    admin = createAdminHandler(xds.context, { basePath: "/admin", updateIntervalMs: 50 });
    web = http.createServer((request, response) => {
      if (!admin(request, response)) response.writeHead(404).end("not admin");
    });
    web.listen(0, "127.0.0.1");
    await once(web, "listening");
    base = `http://127.0.0.1:${(web.address() as AddressInfo).port}/admin`;
    cache.setSnapshot("envoy-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
  });

  afterEach(async () => {
    client?.close();
    admin.close();
    await new Promise<void>((resolve) => web.close(() => resolve()));
    await xds.close();
  });

  it("serves the page under its base path, redirects the bare path, and leaves other paths alone", async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>xDS clients</title>");
    const bare = await fetch(base, { redirect: "manual" });
    expect([bare.status, bare.headers.get("location")]).toEqual([308, "/admin/"]);
    expect(await (await fetch(`${base.replace("/admin", "")}/other`)).text()).toBe("not admin");
    expect((await fetch(`${base}/api/streams/99999`)).status).toBe(404);
  });

  it("streams status updates: a NACK with Envoy's message appears, the fix clears it; filters narrow the list", async () => {
    client = adsClient(xdsUrl);
    client.send({ node: { id: "envoy-1" }, typeUrl: CLUSTER_TYPE_URL });
    const v1 = await client.next();
    client.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v1.nonce });

    const live = await fetch(`${base}/api/events?node=ENVOY&state=nacked`);
    expect(live.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const updates = events(live.body as ReadableStream<Uint8Array>);
    type View = { total: number; matching: number; streams: { node: { id: string }; types: { state: string; nack?: { message: string } }[] }[] };
    const next = async () => (await updates.next()).value as View;
    expect(await next()).toMatchObject({ total: 1, matching: 0, streams: [] });

    cache.setSnapshot("envoy-1", createSnapshot("v2", { [CLUSTER_TYPE_URL]: [cluster("a", 2)] }));
    const v2 = await client.next();
    client.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v2.nonce, errorDetail: { code: 3, message: "cluster a: bad timeout" } });
    let view = await next();
    while (view.matching === 0) view = await next();
    expect(view.streams[0]?.node.id).toBe("envoy-1");
    expect(view.streams[0]?.types[0]).toMatchObject({ state: "nacked", nack: { message: "cluster a: bad timeout" } });

    cache.setSnapshot("envoy-1", createSnapshot("v3", { [CLUSTER_TYPE_URL]: [cluster("a", 3)] }));
    const v3 = await client.next();
    client.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v3", responseNonce: v3.nonce });
    while (view.matching !== 0) view = await next();
    await updates.return(undefined);

    const all = (await (await fetch(`${base}/api/status`)).json()) as View;
    expect(all.streams[0]?.types[0]?.state).toBe("acked");
    expect((await (await fetch(`${base}/api/status?node=nobody`)).json()) as View).toMatchObject({ total: 1, matching: 0 });
  });

  it("shows a node's detail with the resources it holds as protobuf JSON", async () => {
    client = adsClient(xdsUrl);
    client.send({ node: { id: "envoy-1" }, typeUrl: CLUSTER_TYPE_URL });
    const v1 = await client.next();
    client.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v1.nonce });
    const id = await waitForStreamId(base);
    let detail: { types: { resources: { name: string; state: string; held: unknown }[] }[] } | undefined;
    for (let tries = 0; tries < 100; tries++) {
      detail = (await (await fetch(`${base}/api/streams/${id}`)).json()) as typeof detail;
      if (detail?.types[0]?.resources[0]?.state === "acked") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(detail?.types[0]?.resources).toEqual([
      { name: "a", version: "v1", state: "acked", held: { "@type": CLUSTER_TYPE_URL, name: "a", connectTimeout: "1s" } },
    ]);
  });
});

async function waitForStreamId(base: string): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const view = (await (await fetch(`${base}/api/status`)).json()) as { streams: { streamId: number; node?: unknown }[] };
    const stream = view.streams.find((s) => s.node !== undefined);
    if (stream !== undefined) return stream.streamId;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no stream");
}
