// A light load generator: many ADS clients in one process, each on its own HTTP/2 connection
// (node:http2), subscribed to every cluster (a SotW CDS wildcard), ACKing every response. It reads
// only version_info and nonce off each response (the resources are skipped, not decoded), so one
// process can drive thousands of streams and the figures measure the control plane, not the load
// generator. (A first version on @xdskit/client spent ~1 ms of CPU per response decoding clusters:
// 25 s of load-generator CPU for 5 s of server CPU.)
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** version_info (1) and nonce (5) of a DiscoveryResponse; everything else is skipped unread. */
function versionAndNonce(bytes: Uint8Array): { version: string; nonce: string } {
  const reader = new BinaryReader(bytes);
  let version = "";
  let nonce = "";
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === 1) version = reader.string();
    else if (no === 5) nonce = reader.string();
    else reader.skip(wireType, no);
  }
  return { version, nonce };
}

class SimClient {
  version = "";
  /** performance.now() when `version` was ACKed. */
  ackedAt = 0;
  readonly #session: http2.ClientHttp2Session;
  readonly #stream: http2.ClientHttp2Stream;
  #pending: Buffer<ArrayBufferLike> = Buffer.alloc(0);

  constructor(
    port: number,
    readonly id: string,
    private readonly onAck: (client: SimClient) => void,
    onError: (error: Error) => void,
  ) {
    this.#session = http2.connect(`http://127.0.0.1:${port}`);
    this.#session.on("error", onError);
    this.#stream = this.#session.request({ ":method": "POST", ":path": ADS_PATH, "content-type": "application/grpc", te: "trailers" });
    this.#stream.on("error", onError);
    this.#stream.on("data", (chunk: Buffer) => this.#receive(chunk));
    this.#send("", "", true);
  }

  #send(version: string, nonce: string, withNode: boolean): void {
    const request = create(DiscoveryRequestSchema, {
      versionInfo: version,
      responseNonce: nonce,
      typeUrl: CLUSTER_TYPE_URL,
      ...(withNode ? { node: { id: this.id, cluster: "sim" } } : {}),
    });
    this.#stream.write(frame(toBinary(DiscoveryRequestSchema, request)));
  }

  #receive(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 5) {
      const length = this.#pending.readUInt32BE(1);
      if (this.#pending.length < 5 + length) return;
      const message = this.#pending.subarray(5, 5 + length);
      this.#pending = this.#pending.subarray(5 + length);
      const { version, nonce } = versionAndNonce(message);
      this.#send(version, nonce, false);
      this.version = version;
      this.ackedAt = performance.now();
      this.onAck(this);
    }
  }

  close(): void {
    this.#stream.close();
    this.#session.close();
  }
}

export interface ClientPool {
  readonly size: number;
  /** ms from `t0` (performance.now()) until each client ACKed CDS version `version`. */
  ackLatencies(version: string, t0: number, timeoutMs?: number): Promise<number[]>;
  close(): void;
}

/** Connects `count` clients spread round-robin over `ports`, `batch` at a time, and waits until each holds CDS. */
export async function connectPool(ports: readonly number[], count: number, batch = 200): Promise<ClientPool> {
  const clients: SimClient[] = [];
  let waiting: { version: string; t0: number; latencies: number[]; done: () => void } | undefined;
  let connecting: { left: number; done: () => void } | undefined;
  const errors: Error[] = [];
  const onAck = (c: SimClient): void => {
    if (connecting !== undefined && c.version !== "" && --connecting.left === 0) connecting.done();
    if (waiting !== undefined && c.version === waiting.version) {
      waiting.latencies.push(c.ackedAt - waiting.t0);
      if (waiting.latencies.length === clients.length) waiting.done();
    }
  };
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(count, i + batch) - i;
    await new Promise<void>((resolve, reject) => {
      connecting = { left: n, done: resolve };
      const timer = setTimeout(() => reject(new Error(`clients ${i}-${i + n} got no first response within 120 s; errors: ${errors.slice(0, 3).join("; ")}`)), 120_000);
      connecting.done = () => {
        clearTimeout(timer);
        resolve();
      };
      for (let j = i; j < i + n; j++) clients.push(new SimClient(ports[j % ports.length] ?? 0, `sim-${j}`, onAck, (e) => errors.push(e)));
    });
  }
  connecting = undefined;
  return {
    size: clients.length,
    ackLatencies(version, t0, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const latencies: number[] = [];
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`${clients.length - latencies.length} of ${clients.length} clients did not ACK version ${version} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting = {
          version,
          t0,
          latencies,
          done: () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve(latencies);
          },
        };
        // Clients that ACKed it before anyone waited (the answer can arrive before the write's reply).
        for (const c of clients) if (c.version === version) latencies.push(c.ackedAt - t0);
        if (latencies.length === clients.length) waiting.done();
      });
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
