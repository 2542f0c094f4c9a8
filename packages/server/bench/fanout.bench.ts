// pnpm bench: one snapshot update fanned out to 1,000 ADS streams (each on
// its own HTTP/2 connection, clients in separate processes), with the fast
// path on and off, memory per idle stream, and the cost of one stream write
// through connect-node, through the fast path's encoder, and as a raw
// node:http2 write of the same bytes.
import { type ChildProcess, fork } from "node:child_process";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, prepareResource, type CachedResource } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createConnectXdsServer as createXdsServer } from "@xdskit/server/connect";
import { encodeSotwResponse, sotwResponseMessage } from "@xdskit/server-core/internal";
import { runAdsClients } from "./ads-client.js";
import { Deframer, frame } from "./raw-grpc.js";

const STREAMS = Number(process.env.STREAMS ?? 1000);
const PROCESSES = Number(process.env.CLIENT_PROCESSES ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CLUSTERS = Number(process.env.CLUSTERS ?? 50);
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "client") {
  await runAdsClients(process.argv[3] ?? "", Number(process.argv[4]), "bench");
} else if (process.argv[2] === "reader") {
  await runReader(process.argv[3] ?? "", process.argv[4] ?? "");
} else {
  await main();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function clusters(version: number): CachedResource[] {
  return Array.from({ length: CLUSTERS }, (_, i) =>
    prepareResource(ClusterSchema, {
      name: `cluster-${i}`,
      connectTimeout: { seconds: BigInt(version) },
      edsClusterConfig: { serviceName: `service-${i}.default.svc.cluster.local` },
    }),
  );
}

function heap(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

function ask(child: ChildProcess, cmd: string): Promise<{ micros: number; received: number }> {
  return new Promise((resolve) => {
    const on = (message: { cmd: string; micros: number; received: number }) => {
      if (message.cmd !== cmd) return;
      child.off("message", on);
      resolve(message);
    };
    child.on("message", on);
    child.send({ cmd });
  });
}

interface Fanout {
  readonly walls: number[];
  readonly cpus: number[];
  readonly clientCpus: number[];
  readonly heapPerStream: number;
  readonly rssPerStream: number;
  readonly opened: number;
}

async function fanout(fastPath: boolean): Promise<Fanout> {
  const cache = createSnapshotCache();
  let version = 1;
  cache.setSnapshot("bench", createSnapshot(`v${version}`, { [CLUSTER_TYPE_URL]: clusters(version) }));
  const acked = new Map<string, number>();
  let opened = 0;
  const server = createXdsServer(cache, {
    rest: false,
    fastPath,
    callbacks: {
      onStreamOpen: () => {
        opened += 1;
      },
      onStreamRequest: (_stream, request) => {
        if (request.responseNonce !== "") acked.set(request.versionInfo, (acked.get(request.versionInfo) ?? 0) + 1);
      },
    },
  });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  const before = heap();
  const children: ChildProcess[] = [];
  for (let p = 0; p < PROCESSES; p++) {
    const count = Math.floor(STREAMS / PROCESSES) + (p < STREAMS % PROCESSES ? 1 : 0);
    const child = fork(self, ["client", listener.url, String(count)], { stdio: "inherit" });
    children.push(child);
    await new Promise<void>((resolve) => child.once("message", () => resolve()));
  }
  const deadline = Date.now() + 60_000;
  while ((acked.get("v1") ?? 0) < STREAMS) {
    if (Date.now() > deadline) throw new Error(`only ${acked.get("v1") ?? 0} of ${STREAMS} streams ACKed v1`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const idle = heap();
  const walls: number[] = [];
  const cpus: number[] = [];
  const clientCpus: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    version += 1;
    const target = `v${version}`;
    const snapshot = createSnapshot(target, { [CLUSTER_TYPE_URL]: clusters(version) });
    // Marshal before timing: the cost measured is the fan-out, not the encoding of 50 clusters.
    for (const resource of snapshot.resources(CLUSTER_TYPE_URL).values()) void resource.bytes;
    const clientBefore = await Promise.all(children.map((c) => ask(c, "cpu")));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    cache.setSnapshot("bench", snapshot);
    while ((acked.get(target) ?? 0) < STREAMS) await new Promise((resolve) => setImmediate(resolve));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const clientAfter = await Promise.all(children.map((c) => ask(c, "cpu")));
    walls.push(wall);
    cpus.push((cpu.user + cpu.system) / 1000);
    clientCpus.push(clientAfter.reduce((sum, c, i) => sum + c.micros - (clientBefore[i]?.micros ?? 0), 0) / 1000);
  }
  for (const child of children) child.send({ cmd: "exit" });
  await server.close();
  return {
    walls,
    cpus,
    clientCpus,
    heapPerStream: (idle.heap - before.heap) / STREAMS,
    rssPerStream: (idle.rss - before.rss) / STREAMS,
    opened,
  };
}

function fanoutReport(on: Fanout, off: Fanout): string[] {
  const bytes = toBinary(
    DiscoveryResponseSchema,
    sotwResponseMessage(
      { request: create(DiscoveryResponseSchema) as never, typeUrl: CLUSTER_TYPE_URL, version: "v1", resources: clusters(1), heartbeat: false },
      "1",
    ),
  ).length;
  const row = (label: string, pick: (f: Fanout) => number[], digits = 1) =>
    `| ${label} | ${median(pick(on)).toFixed(digits)} (${Math.min(...pick(on)).toFixed(digits)}–${Math.max(...pick(on)).toFixed(digits)}) | ${median(pick(off)).toFixed(digits)} (${Math.min(...pick(off)).toFixed(digits)}–${Math.max(...pick(off)).toFixed(digits)}) | ${(median(pick(off)) / median(pick(on))).toFixed(2)}× |`;
  return [
    `## Fan-out: one snapshot update to ${STREAMS} ADS streams (${STREAMS} HTTP/2 connections, ${PROCESSES} client processes)`,
    "",
    `response: ${CLUSTERS} clusters, ${bytes} bytes; ${ROUNDS} rounds, medians (min–max); streams opened: ${on.opened} / ${off.opened}`,
    "",
    "| metric | fast path | connect-node (fastPath: false) | connect / fast |",
    "|---|---|---|---|",
    row("wall time until every stream ACKed (ms)", (f) => f.walls),
    row("server CPU, user+system (ms)", (f) => f.cpus),
    row("server CPU per stream (µs)", (f) => f.cpus.map((c) => (c * 1000) / STREAMS)),
    row("client CPU, all processes (ms, not included above)", (f) => f.clientCpus),
    "",
    "## Memory per idle stream (server process, after GC)",
    "",
    "| metric | fast path | connect-node |",
    "|---|---|---|",
    `| JS heap | ${(on.heapPerStream / 1024).toFixed(1)} KiB | ${(off.heapPerStream / 1024).toFixed(1)} KiB |`,
    `| RSS (includes nghttp2 sessions and socket buffers) | ${(on.rssPerStream / 1024).toFixed(1)} KiB | ${(off.rssPerStream / 1024).toFixed(1)} KiB |`,
  ];
}

// Per-write cost: the same DiscoveryResponse written WRITES times on one
// stream, through a Connect handler (serialize + frame + write) and as
// pre-framed bytes on a raw node:http2 stream. The reader is another process.
async function runReader(url: string, path: string): Promise<void> {
  const session = http2.connect(url);
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  const deframer = new Deframer();
  let messages = 0;
  stream.on("data", (chunk: Buffer) =>
    deframer.push(chunk, () => {
      messages += 1;
    }),
  );
  stream.on("end", () => {
    process.send?.({ cmd: "done", micros: 0, received: messages });
    session.close();
  });
  stream.write(frame(new Uint8Array(0)));
}

interface WriteCost {
  readonly connect: number;
  readonly pre: number;
  readonly fast: number;
  readonly raw: number;
}

async function writeCost(resourceCount: number, writes: number): Promise<WriteCost> {
  const resources = Array.from({ length: resourceCount }, (_, i) => prepareResource(ClusterSchema, { name: `c-${i}`, connectTimeout: { seconds: 1n } }));
  const message = sotwResponseMessage(
    { request: undefined as never, typeUrl: CLUSTER_TYPE_URL, version: "v1", resources, heartbeat: false },
    "n",
  );
  const framed = frame(toBinary(DiscoveryResponseSchema, message));
  // The same response with every resource pre-encoded as an unknown field-2
  // entry: protobuf-es writes unknown fields verbatim, so toBinary copies
  // bytes instead of walking each Any.
  const preEncoded = create(DiscoveryResponseSchema, { versionInfo: "v1", typeUrl: CLUSTER_TYPE_URL, nonce: "n" });
  preEncoded.$unknown = resources.map((resource) => {
    const any = toBinary(AnySchema, resource.any);
    return { no: 2, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(any).finish() };
  });
  // Same fields, resources written last: equal once decoded.
  const decoded = fromBinary(DiscoveryResponseSchema, toBinary(DiscoveryResponseSchema, preEncoded));
  if (!equals(DiscoveryResponseSchema, decoded, fromBinary(DiscoveryResponseSchema, framed.subarray(5)))) {
    throw new Error("pre-encoded response differs");
  }
  const connectHandlerOf = (response: typeof message) =>
    connectNodeAdapter({
      routes: (router: ConnectRouter) =>
        router.rpc(AggregatedDiscoveryService.method.streamAggregatedResources, async function* (requests) {
          for await (const _ of requests) break;
          for (let i = 0; i < writes; i++) yield response;
        }),
    });
  const connectHandler = connectHandlerOf(message);
  const preEncodedHandler = connectHandlerOf(preEncoded);
  const rawHandler = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => {
    request.once("data", async () => {
      response.writeHead(200, { "content-type": "application/grpc" });
      for (let i = 0; i < writes; i++) {
        if (!response.write(framed)) await new Promise((resolve) => response.once("drain", resolve));
      }
      response.addTrailers({ "grpc-status": "0" });
      response.end();
    });
  };
  // The fast path's write: the response encoded by hand from the resources'
  // cached Any bytes (a fresh nonce each time, as on a real stream), framed
  // in place, written on the raw stream with backpressure.
  const answer = { request: undefined as never, typeUrl: CLUSTER_TYPE_URL, version: "v1", resources, heartbeat: false };
  const fastHandler = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => {
    request.once("data", async () => {
      const stream = request.stream;
      response.writeHead(200, { "content-type": "application/grpc" });
      for (let i = 0; i < writes; i++) {
        const chunks = encodeSotwResponse(answer, i.toString(36), 5);
        let length = -5;
        for (const chunk of chunks) length += chunk.length;
        const head = chunks[0] as Uint8Array;
        head[1] = length >>> 24;
        head[2] = (length >>> 16) & 0xff;
        head[3] = (length >>> 8) & 0xff;
        head[4] = length & 0xff;
        stream.cork();
        let room = true;
        for (const chunk of chunks) room = stream.write(chunk);
        stream.uncork();
        if (!room) await new Promise((resolve) => stream.once("drain", resolve));
      }
      response.addTrailers({ "grpc-status": "0" });
      response.end();
    });
  };
  const measure = async (handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) => {
    const server = http2.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reader = fork(self, ["reader", url, "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"], { stdio: "inherit" });
    const cpu0 = process.cpuUsage();
    const done = await new Promise<{ received: number }>((resolve) => reader.once("message", resolve));
    const cpu = process.cpuUsage(cpu0);
    if (done.received !== writes) throw new Error(`reader got ${done.received} of ${writes}`);
    server.close();
    return (cpu.user + cpu.system) / writes;
  };
  // Process start-up of the reader happens before its first byte: negligible next to the writes.
  const connect: number[] = [];
  const pre: number[] = [];
  const fast: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 3; i++) {
    connect.push(await measure(connectHandler as never));
    pre.push(await measure(preEncodedHandler as never));
    fast.push(await measure(fastHandler));
    raw.push(await measure(rawHandler));
  }
  return { connect: median(connect), pre: median(pre), fast: median(fast), raw: median(raw) };
}

async function main(): Promise<void> {
  const lines = [
    `# @xdskit/server benchmark`,
    "",
    `machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}`,
    "",
  ];
  const on = await fanout(true);
  const off = await fanout(false);
  lines.push(...fanoutReport(on, off));
  lines.push(
    "",
    "## Cost of one stream write (server CPU per message, µs, median of 3 runs)",
    "",
    "| response | connect-node | connect-node, pre-encoded resources | fast path (encode + write) | raw node:http2 | connect / fast | fast / raw |",
    "|---|---|---|---|---|---|---|",
  );
  for (const [count, writes] of [
    [1, 20_000],
    [50, 10_000],
    [500, 2_000],
  ] as const) {
    const { connect, pre, fast, raw } = await writeCost(count, writes);
    lines.push(
      `| ${count} clusters | ${connect.toFixed(1)} | ${pre.toFixed(1)} | ${fast.toFixed(1)} | ${raw.toFixed(1)} | ${(connect / fast).toFixed(1)}× | ${(fast / raw).toFixed(2)}× |`,
    );
  }
  console.log(lines.join("\n"));
  process.exit(0);
}
