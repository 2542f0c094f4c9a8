// The HTTP/2 attack surface over real sockets: each attack is bounded in count
// and time, runs from one peer while another client holds an xDS stream, and
// must end with the offender's connection closed (GOAWAY where there is one),
// the other client still served and given an update pushed during the attack,
// and the server's heap back within a few MiB.
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADS_PATH, ackOf, clusterRequest, goneAway, heapAfterGc, served, session } from "./hostile.test-helper.js";
import { FLAG, FRAME, frame, GRPC_HEADERS, headerBlock, rawH2 } from "@xdskit/test-support";
import { type RawCall, rawCall } from "./raw-grpc.test-helper.js";
import { cluster, type Harness, startServer, until } from "./test-fixtures.test-helper.js";

const MiB = 1024 * 1024;
let h: Harness;
let port = 0;
let bystander: http2.ClientHttp2Session;
let watch: RawCall;
let version = 1;

beforeAll(async () => {
  h = await startServer({ writeStallTimeoutMs: 500, headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
  h.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
  port = Number(new URL(h.url).port);
  bystander = await session(h.url);
  watch = rawCall("", ADS_PATH, { session: bystander });
  watch.send(clusterRequest());
  await until(() => watch.messages.length === 1);
  watch.send(ackOf(watch.messages[0] as Buffer));
  await until(() => h.cache.watchCount === 1);
});
afterAll(async () => {
  bystander.close();
  await h.close();
});

/** Runs `attack` (which resolves once the offender was closed), pushing an update to the bystander meanwhile. */
async function survives(attack: () => Promise<void>): Promise<void> {
  const heapBefore = heapAfterGc();
  const received = watch.messages.length;
  const attacking = attack();
  version += 1;
  h.cache.set(CLUSTER_TYPE_URL, `v${version}`, [cluster("a", version)]);
  await until(() => watch.messages.length === received + 1, 10_000);
  watch.send(ackOf(watch.messages[received] as Buffer));
  await attacking;
  await served(h.url);
  await until(() => h.server.context.openStreams === 1 && h.cache.watchCount === 1);
  const grownMiB = (heapAfterGc() - heapBefore) / MiB;
  console.log(`heap after the attack: ${grownMiB >= 0 ? "+" : ""}${grownMiB.toFixed(2)} MiB`);
  expect(grownMiB).toBeLessThan(4);
}

describe("HTTP/2 attacks next to a served client", () => {
  it("rapid resets (CVE-2023-44487): GOAWAY (nghttp2's INTERNAL_ERROR), connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      const block = headerBlock(GRPC_HEADERS);
      for (let batch = 0; batch < 10 && !raw.socket.destroyed; batch += 1) {
        const frames: Buffer[] = [];
        for (let i = 0; i < 500; i += 1) {
          const id = 1 + 2 * (batch * 500 + i);
          frames.push(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, block), frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
        }
        raw.send(...frames);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const { goawayCode } = await raw.closed;
      // node:http2's streamResetBurst / streamResetRate (nghttp2 says GOAWAY INTERNAL_ERROR).
      expect(goawayCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });

  it("header floods (more header pairs than maxHeaderListPairs): streams refused, then the connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      const many = [...GRPC_HEADERS, ...Array.from({ length: 200 }, (_, i) => [`x-flood-${i}`, "v"] as const)];
      const block = headerBlock(many);
      for (let i = 0; i < 3_000 && !raw.socket.destroyed; i += 1) {
        raw.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * i, block));
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const closed = await raw.closed;
      expect(closed.goawayCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      expect(closed.goawayData).toBe("too_many_refused_streams");
    });
  });

  it("oversized headers (over maxHeaderListBytes): streams refused, then the connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      const block = headerBlock([...GRPC_HEADERS, ["x-big", "a".repeat(15_000)], ["x-big2", "b".repeat(15_000)], ["x-big3", "c".repeat(15_000)]]);
      // Split into frames under the default 16 KiB SETTINGS_MAX_FRAME_SIZE.
      for (let i = 0; i < 3_000 && !raw.socket.destroyed; i += 1) {
        const id = 1 + 2 * i;
        const chunks: Buffer[] = [];
        for (let at = 0; at < block.length; at += 16_000) chunks.push(block.subarray(at, at + 16_000));
        raw.send(
          ...chunks.map((chunk, n) =>
            frame(n === 0 ? FRAME.HEADERS : FRAME.CONTINUATION, n === chunks.length - 1 ? FLAG.END_HEADERS : 0, id, chunk),
          ),
        );
        if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const closed = await raw.closed;
      expect(closed.goawayCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      expect(closed.goawayData).toBe("too_many_refused_streams");
    });
  });

  it("CONTINUATION floods (a header block that never ends): the connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      raw.send(frame(FRAME.HEADERS, 0, 1, headerBlock(GRPC_HEADERS)));
      const small = headerBlock([["x-c", "d"]]);
      for (let i = 0; i < 10_000 && !raw.socket.destroyed; i += 100) {
        raw.send(...Array.from({ length: 100 }, () => frame(FRAME.CONTINUATION, 0, 1, small)));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const { goawayCode } = await raw.closed;
      console.log(`CONTINUATION flood: GOAWAY code ${goawayCode}`);
      expect(goawayCode).toBeDefined();
    });
  });

  it("SETTINGS floods: GOAWAY ENHANCE_YOUR_CALM, connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      const settings = frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
      for (let i = 0; i < 1_000 && !raw.socket.destroyed; i += 100) {
        raw.send(...Array.from({ length: 100 }, () => settings));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const closed = await raw.closed;
      expect(closed.goawayCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      expect(closed.goawayData).toBe("too_many_settings");
    });
  });

  it("PING floods: GOAWAY ENHANCE_YOUR_CALM, connection closed", async () => {
    await survives(async () => {
      const raw = await rawH2(port);
      const ping = frame(FRAME.PING, 0, 0, Buffer.alloc(8));
      for (let i = 0; i < 1_000 && !raw.socket.destroyed; i += 100) {
        raw.send(...Array.from({ length: 100 }, () => ping));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const closed = await raw.closed;
      expect(closed.goawayCode).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      expect(closed.goawayData).toBe("too_many_pings");
    });
  });

  it("a zero window forever: GOAWAY ENHANCE_YOUR_CALM after writeStallTimeoutMs, connection closed", async () => {
    await survives(async () => {
      const client = await session(h.url, { settings: { initialWindowSize: 0 } });
      const gone = goneAway(client);
      const call = rawCall("", ADS_PATH, { session: client, read: false });
      call.send(clusterRequest());
      const goaway = await gone;
      expect(goaway.code).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      expect(goaway.data).toBe("write_stalled");
    });
  });

  it("a slow HTTP/1.1 client trickling its headers: closed after headersTimeoutMs", async () => {
    await survives(async () => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      await once(socket, "connect");
      socket.write("POST /v3/discovery:clusters HTTP/1.1\r\nhost: x\r\n");
      const started = performance.now();
      const trickle = setInterval(() => socket.write("x"), 100);
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString();
      });
      await once(socket, "close");
      clearInterval(trickle);
      const tookMs = performance.now() - started;
      console.log(`trickling HTTP/1.1 client closed after ${tookMs.toFixed(0)} ms (${answer.split("\r\n")[0] ?? "no answer"})`);
      // headersTimeout 500 ms, checked every second by node.
      expect(tookMs).toBeLessThan(500 + 1_000 + 1_000);
    });
  });
});
