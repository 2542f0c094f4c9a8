// Hostile and legitimate clients for the guard tests: raw HTTP/2 sessions and
// frames (exact control, no client library in between), bound to a chosen
// loopback source address so that two peers can be told apart on one host.
import { once } from "node:events";
import * as http2 from "node:http2";
import * as net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { DiscoveryRequestSchema, DiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { fromBinary } from "@bufbuild/protobuf";
import { type RawCall, rawCall } from "./raw-grpc.test-helper.js";

export const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
export const CDS_PATH = "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters";
/** A second loopback address: another peer on the same host (Linux routes all of 127/8 to lo). */
export const OTHER_PEER = "127.0.0.2";

export function clusterRequest(nodeId = "node-1"): Uint8Array {
  return toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: nodeId, cluster: "test" }, typeUrl: CLUSTER_TYPE_URL }));
}

/** The ACK of a response read by a raw call: the request that leaves a watch open on the server. */
export function ackOf(response: Uint8Array, nodeId = "node-1"): Uint8Array {
  const message = fromBinary(DiscoveryResponseSchema, response);
  return toBinary(
    DiscoveryRequestSchema,
    create(DiscoveryRequestSchema, {
      node: { id: nodeId, cluster: "test" },
      typeUrl: message.typeUrl,
      versionInfo: message.versionInfo,
      responseNonce: message.nonce,
    }),
  );
}

/** An HTTP/2 session from `localAddress` (default 127.0.0.1), connected. */
export async function session(url: string, options: { localAddress?: string; settings?: http2.Settings } = {}): Promise<http2.ClientHttp2Session> {
  const client = http2.connect(url, {
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    createConnection: () => net.connect({ host: "127.0.0.1", port: Number(new URL(url).port), localAddress: options.localAddress ?? "127.0.0.1" }),
  });
  client.on("error", () => {});
  await once(client, "connect");
  return client;
}

/** Opens `count` ADS streams on `client` that never send a request. */
export function silentStreams(client: http2.ClientHttp2Session, count: number, path = ADS_PATH): RawCall[] {
  return Array.from({ length: count }, () => rawCall("", path, { session: client }));
}

/** One ADS stream that sends its first request: resolves with the first response (or rejects with the status it ended with). */
export async function served(url: string, options: { localAddress?: string; path?: string; client?: http2.ClientHttp2Session } = {}): Promise<void> {
  const client = options.client ?? (await session(url, options));
  const call = rawCall("", options.path ?? ADS_PATH, { session: client });
  call.send(clusterRequest());
  try {
    await new Promise<void>((resolve, reject) => {
      call.stream.on("data", () => resolve());
      void call.status.then((status) => reject(new Error(`ended before a response: ${status.code} ${status.message}`)));
    });
  } finally {
    call.stream.close();
    if (options.client === undefined) client.close();
  }
}

/** Resolves once `client` is closed, with the GOAWAY it got (if any). */
export function goneAway(client: http2.ClientHttp2Session): Promise<{ code: number | undefined; data: string }> {
  let goaway: { code: number | undefined; data: string } = { code: undefined, data: "" };
  client.on("goaway", (code: number, _last: number, data?: Buffer) => {
    goaway = { code, data: data?.toString() ?? "" };
  });
  return new Promise((resolve) => {
    if (client.destroyed) resolve(goaway);
    else client.once("close", () => resolve(goaway));
  });
}

/**
 * A loopback TCP relay of the test's own between a client and the server,
 * which can black-hole the connection: stop forwarding both ways without
 * closing either side (a host that vanished without a FIN).
 */
export interface Relay {
  readonly url: string;
  blackHole(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  let holed = false;
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: "127.0.0.1", port: targetPort });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.once("close", () => sockets.delete(socket));
    }
    inbound.on("data", (chunk) => void (holed || outbound.write(chunk)));
    outbound.on("data", (chunk) => void (holed || inbound.write(chunk)));
    inbound.once("close", () => outbound.destroy());
    outbound.once("close", () => inbound.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    blackHole: () => {
      // Bytes are read and dropped: nothing reaches either side, nothing is closed.
      holed = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** Heap in use after a full collection (the tests run with --expose-gc). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
