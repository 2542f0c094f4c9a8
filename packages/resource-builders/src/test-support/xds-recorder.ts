// Test-only: a stand-in control plane that records the first xDS request it
// gets (which RPC or REST path, the node, the TLS facts) and never answers.
// Enough to show that an Envoy started from a bootstrap reaches its control
// plane the way the bootstrap says.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createSecureServer, createServer as createH2Server, type Http2Server, type Http2Session, type ServerHttp2Stream } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { fromBinary } from "@bufbuild/protobuf";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

export interface SeenRequest {
  readonly path: string;
  /** `"2.0"` for gRPC, `"1.1"` for REST. */
  readonly httpVersion: string;
  readonly nodeId: string;
  readonly nodeCluster: string;
  readonly typeUrl: string;
  /** TLS only: the SNI the client sent (`false`: none), the ALPN protocol agreed, the CN of the client's certificate. */
  readonly sni?: string | false | undefined;
  readonly alpn?: string | false | undefined;
  readonly clientCommonName?: string | undefined;
}

export interface XdsRecorder {
  readonly port: number;
  /** The first request, once it came. */
  first(timeoutMs?: number): Promise<SeenRequest>;
  close(): Promise<void>;
}

export interface RecorderOptions {
  readonly protocol: "grpc" | "rest";
  /** Serve TLS with this certificate; with `clientCa`, require a client certificate it signed. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string | undefined } | undefined;
}

function tlsFacts(socket: Socket): Pick<SeenRequest, "sni" | "alpn" | "clientCommonName"> {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== "function") return {};
  const peer = tls.getPeerCertificate();
  const cn = peer?.subject?.CN;
  return { sni: tls.servername ?? undefined, alpn: tls.alpnProtocol ?? undefined, clientCommonName: typeof cn === "string" ? cn : undefined };
}

/** Reads the first length-prefixed gRPC message of a stream. */
function firstGrpcMessage(stream: ServerHttp2Stream): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    stream.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 5) return;
      const length = buffered.readUInt32BE(1);
      if (buffered.length >= 5 + length) resolve(new Uint8Array(buffered.subarray(5, 5 + length)));
    });
    stream.on("error", reject);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startXdsRecorder(options: RecorderOptions): Promise<XdsRecorder> {
  let record: (seen: SeenRequest) => void = () => {};
  const seen = new Promise<SeenRequest>((resolve) => {
    record = resolve;
  });
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  const tls = options.tls;
  const tlsOptions =
    tls === undefined
      ? undefined
      : {
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
        };
  let server: Http2Server | HttpServer;
  if (options.protocol === "grpc") {
    const h2 = tlsOptions === undefined ? createH2Server() : createSecureServer({ ...tlsOptions, ALPNProtocols: ["h2"] });
    h2.on("session", (session: Http2Session) => {
      sessions.add(session);
      session.on("close", () => sessions.delete(session));
    });
    h2.on("stream", (stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      const path = String(headers[":path"]);
      void firstGrpcMessage(stream).then((bytes) => {
        const delta = path.includes("Delta");
        const request = delta ? fromBinary(DeltaDiscoveryRequestSchema, bytes) : fromBinary(DiscoveryRequestSchema, bytes);
        record({
          path,
          httpVersion: "2.0",
          nodeId: request.node?.id ?? "",
          nodeCluster: request.node?.cluster ?? "",
          typeUrl: request.typeUrl,
          ...tlsFacts(stream.session?.socket as Socket),
        });
      }, () => {});
    });
    server = h2;
  } else {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void readBody(req).then((body) => {
        const request = JSON.parse(body) as { node?: { id?: string; cluster?: string }; type_url?: string; typeUrl?: string };
        record({
          path: req.url ?? "",
          httpVersion: req.httpVersion,
          nodeId: request.node?.id ?? "",
          nodeCluster: request.node?.cluster ?? "",
          typeUrl: request.type_url ?? request.typeUrl ?? "",
          ...tlsFacts(req.socket),
        });
        res.writeHead(503).end();
      });
    };
    server = tlsOptions === undefined ? createHttpServer(handler) : createHttpsServer(tlsOptions, handler);
  }
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    first(timeoutMs = 45_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no xDS request reached 127.0.0.1:${port} in ${timeoutMs} ms`)), timeoutMs);
      });
      return Promise.race([seen, timeout]).finally(() => clearTimeout(timer));
    },
    async close() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
