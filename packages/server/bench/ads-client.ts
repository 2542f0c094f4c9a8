// Load generator process: opens N ADS streams, each on its own HTTP/2
// connection, and ACKs every response. Reports to the parent over IPC.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as http2 from "node:http2";
import {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { Deframer, frame } from "./raw-grpc.js";

const CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

export async function runAdsClients(url: string, count: number, nodeId: string): Promise<void> {
  const sessions: http2.ClientHttp2Session[] = [];
  let received = 0;
  for (let i = 0; i < count; i++) {
    const session = http2.connect(url);
    sessions.push(session);
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    const deframer = new Deframer();
    stream.on("data", (chunk: Buffer) =>
      deframer.push(chunk, (bytes) => {
        const response = fromBinary(DiscoveryResponseSchema, bytes);
        received += 1;
        stream.write(
          frame(
            toBinary(
              DiscoveryRequestSchema,
              create(DiscoveryRequestSchema, { typeUrl: CLUSTER, versionInfo: response.versionInfo, responseNonce: response.nonce }),
            ),
          ),
        );
      }),
    );
    stream.write(frame(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: nodeId }, typeUrl: CLUSTER }))));
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  const cpu0 = process.cpuUsage();
  process.on("message", (message: { cmd: string }) => {
    if (message.cmd === "cpu") {
      const cpu = process.cpuUsage(cpu0);
      process.send?.({ cmd: "cpu", micros: cpu.user + cpu.system, received });
    } else if (message.cmd === "exit") {
      for (const session of sessions) session.destroy();
      process.exit(0);
    }
  });
  process.send?.({ cmd: "ready" });
}
