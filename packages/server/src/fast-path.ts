import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
import type { ConfigWatcher } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { DELTA_SERVICES, encodeDeltaResponseBytes, runDeltaStream } from "@xdskit/server-delta";
import type { ResolvedServerOptions } from "@xdskit/server-core";
import { encodeSotwResponseBytes, runSotwStream, SOTW_SERVICES } from "@xdskit/server-sotw";
import { fillGrpcPrefix, GRPC_PREFIX_BYTES } from "./grpc-frame.js";
import type { NodeServerRequest, NodeServerResponse } from "./node-handler.js";
import { type GrpcStreamMethod, serveGrpcStream } from "./serve-grpc-stream.js";

/** What the fast path serves. */
export interface FastPathOptions {
  readonly sotw: boolean;
  readonly delta: boolean;
  /** The largest request message accepted, in bytes. */
  readonly readMaxBytes: number;
}

/** Serves a request on the fast path and returns true, or returns false to leave it to Connect. */
export type FastPathHandler = (request: NodeServerRequest, response: NodeServerResponse) => boolean;

type Serve = (request: Http2ServerRequest, response: Http2ServerResponse) => Promise<void>;

function pathOf(service: { readonly typeName: string }, method: { readonly name: string }): string {
  return `/${service.typeName}/${method.name}`;
}

function routes(watcher: ConfigWatcher, options: ResolvedServerOptions, serve: FastPathOptions): Map<string, Serve> {
  const table = new Map<string, Serve>();
  const route =
    <I extends DescMessage>(method: GrpcStreamMethod<I>): Serve =>
    (request, response) =>
      serveGrpcStream(method, request, response, serve.readMaxBytes);
  const sotw = (typeUrl: string): Serve =>
    route({
      protocol: "sotw",
      typeUrl,
      input: DiscoveryRequestSchema,
      open: (requests, init) =>
        runSotwStream(watcher, options, requests, init, (response, nonce) =>
          fillGrpcPrefix(encodeSotwResponseBytes(response, nonce, GRPC_PREFIX_BYTES)),
        ),
    });
  const delta = (typeUrl: string): Serve =>
    route({
      protocol: "delta",
      typeUrl,
      input: DeltaDiscoveryRequestSchema,
      open: (requests, init) =>
        runDeltaStream(watcher, options, requests, init, (response, nonce) =>
          fillGrpcPrefix(encodeDeltaResponseBytes(response, nonce, GRPC_PREFIX_BYTES)),
        ),
    });
  const ads = AggregatedDiscoveryService;
  if (serve.sotw) {
    table.set(pathOf(ads, ads.method.streamAggregatedResources), sotw(""));
    for (const entry of SOTW_SERVICES) table.set(pathOf(entry.service, entry.stream), sotw(entry.typeUrl));
  }
  if (serve.delta) {
    table.set(pathOf(ads, ads.method.deltaAggregatedResources), delta(""));
    for (const entry of DELTA_SERVICES) table.set(pathOf(entry.service, entry.delta), delta(entry.typeUrl));
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
export function createFastPathHandler(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  serve: FastPathOptions,
): FastPathHandler {
  const table = routes(watcher, options, serve);
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
