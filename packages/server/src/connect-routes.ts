import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { ClientStatusDiscoveryService } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import { ServerError } from "@xdskit/server-core";
import type { ProtocolStream, ServerContextState, StreamInit } from "@xdskit/server-core/internal";
import { clientStatusResponse } from "./client-status-service.js";
import type { SotwProtocol } from "@xdskit/server-sotw";
import { peerOf } from "./connect-peer.js";
import { streamMessages } from "./serve-stream.js";
import { requestReadError, toConnectError } from "./to-connect-error.js";
import type { XdsProtocols } from "./xds-protocols.js";
import { SOTW_METHODS, streamMethods } from "./xds-methods.js";
import { type DeltaStreamDescriptor, descriptorOf, type FetchDescriptor, type SotwStreamDescriptor } from "./xds-services.js";

/**
 * Registers every enabled xDS method on a Connect router: (delta) ADS, the
 * per-type Stream* / Delta* methods, and Fetch* when the cache answers
 * fetches. Connect serves them over the Connect protocol, gRPC and gRPC-Web,
 * with its compression and interceptors.
 */
export function registerConnectRoutes(router: ConnectRouter, protocols: XdsProtocols): void {
  for (const entry of streamMethods({ sotw: protocols.serveSotw, delta: protocols.serveDelta })) {
    if (entry.protocol === "sotw") {
      const method = descriptorOf(entry.method) as SotwStreamDescriptor;
      router.rpc(method, streamHandler((init) => protocols.openSotw(init), entry.typeUrl, "DiscoveryRequest"));
    } else {
      const method = descriptorOf(entry.method) as DeltaStreamDescriptor;
      router.rpc(method, streamHandler((init) => protocols.openDelta(init), entry.typeUrl, "DeltaDiscoveryRequest"));
    }
  }
  if (protocols.serveCsds) registerClientStatusService(router, protocols.context);
  if (!protocols.serveSotw || !protocols.sotw.fetches) return;
  for (const entry of SOTW_METHODS) router.rpc(descriptorOf(entry.fetch) as FetchDescriptor, fetchHandler(protocols.sotw, entry.typeUrl));
}

/** CSDS: each request answered from the client status at that moment. */
function registerClientStatusService(router: ConnectRouter, context: ServerContextState): void {
  const answer = (request: Parameters<typeof clientStatusResponse>[1]) => {
    try {
      return clientStatusResponse(context, request);
    } catch (error) {
      throw toConnectError(error);
    }
  };
  router.service(ClientStatusDiscoveryService, {
    fetchClientStatus: (request) => answer(request),
    async *streamClientStatus(requests) {
      for await (const request of readingAs(requests, "ClientStatusRequest")) yield answer(request);
    },
  });
}

/**
 * A Connect bidi handler over a protocol stream: Connect pulls each response
 * message when it has written the previous one, so its backpressure reaches
 * the protocol.
 */
function streamHandler<Request, Response>(
  open: (init: StreamInit) => ProtocolStream<Request, Response>,
  typeUrl: string,
  messageName: string,
): (requests: AsyncIterable<Request>, context: HandlerContext) => AsyncGenerator<Response> {
  return async function* (requests, context) {
    const stream = open({ typeUrl, requestHeader: context.requestHeader, peer: peerOf(context), signal: context.signal });
    try {
      yield* streamMessages(stream, readingAs(requests, messageName));
    } catch (error) {
      throw toConnectError(error);
    }
    // Connect aborts the signal when the client's deadline (grpc-timeout)
    // passes; the stream then ended as if the client left: say why.
    const reason: unknown = context.signal.reason;
    if (context.signal.aborted && reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) throw reason;
  };
}

// A request that does not decode is the client's fault: INVALID_ARGUMENT.
async function* readingAs<T>(requests: AsyncIterable<T>, messageName: string): AsyncGenerator<T> {
  try {
    yield* requests;
  } catch (error) {
    throw requestReadError(error, messageName);
  }
}

/**
 * The gRPC Fetch* handler (FetchClusters, …): one SotW answer from the
 * cache's current state. A client that is already current (its
 * `version_info` is the cache's) gets FAILED_PRECONDITION "not modified":
 * gRPC has no 304, and an empty response would tell it to drop everything.
 */
function fetchHandler(
  sotw: SotwProtocol,
  typeUrl: string,
): (request: DiscoveryRequest, context: HandlerContext) => Promise<DiscoveryResponse> {
  return async (request, context) => {
    try {
      const outcome = await sotw.fetch({ typeUrl, requestHeader: context.requestHeader, peer: peerOf(context) }, request);
      if (outcome.kind === "response") return outcome.message();
      throw new ServerError("not-modified", `not modified: the client is current at version "${outcome.version}"`, { typeUrl });
    } catch (error) {
      throw toConnectError(error);
    }
  };
}
