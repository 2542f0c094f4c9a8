import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
import type { Logger } from "@xdskit/cache-core";
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { NodeServerRequest, NodeServerResponse } from "./node-handler.js";
import { type GrpcStreamMethod, type GrpcStreamOptions, serveGrpcStream } from "./serve-grpc-stream.js";
import type { XdsProtocols } from "./xds-protocols.js";
import { grpcPath, streamMethods } from "./xds-methods.js";

/** Serves a request on the fast path and returns true, or returns false to leave it to Connect. */
export type FastPathHandler = (request: NodeServerRequest, response: NodeServerResponse) => boolean;

type Serve = (request: Http2ServerRequest, response: Http2ServerResponse) => Promise<void>;

function routes(protocols: XdsProtocols, options: GrpcStreamOptions): Map<string, Serve> {
  const table = new Map<string, Serve>();
  const route =
    <I extends DescMessage>(method: GrpcStreamMethod<I>): Serve =>
    (request, response) =>
      serveGrpcStream(method, request, response, options);
  for (const entry of streamMethods({ sotw: protocols.serveSotw, delta: protocols.serveDelta })) {
    const serve =
      entry.protocol === "sotw"
        ? route({ typeUrl: entry.typeUrl, input: DiscoveryRequestSchema, open: (init) => protocols.openSotw(init) })
        : route({ typeUrl: entry.typeUrl, input: DeltaDiscoveryRequestSchema, open: (init) => protocols.openDelta(init) });
    table.set(grpcPath(entry.method), serve);
  }
  return table;
}

// gRPC with the protobuf codec: "application/grpc" or "application/grpc+proto",
// parameters allowed. gRPC-Web, "+json" and other codecs stay with Connect.
function isGrpcProto(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return type === "application/grpc" || type === "application/grpc+proto";
}

function isHttp2(request: NodeServerRequest): request is Http2ServerRequest {
  return request.httpVersionMajor === 2 && "stream" in request;
}

/**
 * The fast path: the streaming xDS methods (ADS, delta ADS, every per-type
 * Stream* and Delta*) over gRPC on HTTP/2, served straight on node:http2
 * with pre-encoded responses. It takes POST requests with a gRPC protobuf
 * content type and no message compression (`grpc-encoding` absent or
 * `identity`); everything else (Connect, gRPC-Web, compressed gRPC, Fetch,
 * REST) is left to the caller.
 */
export function createFastPathHandler(protocols: XdsProtocols, options: GrpcStreamOptions & { readonly logger: Logger }): FastPathHandler {
  const table = routes(protocols, options);
  const onError = (error: unknown) => options.logger.error("xds fast path failed", { error });
  return (request, response) => {
    if (!isHttp2(request) || request.method !== "POST") return false;
    const serveMethod = table.get(request.headers[":path"] ?? "");
    if (serveMethod === undefined) return false;
    const headers = request.headers;
    if (!isGrpcProto(headers["content-type"])) return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const http2Response = response as Http2ServerResponse;
    http2Response.sendDate = false;
    serveMethod(request, http2Response).catch(onError);
    return true;
  };
}
