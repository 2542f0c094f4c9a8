import type { HandlerContext } from "@connectrpc/connect";
import type { ConfigWatcher, SotwResponse } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type PeerInfo, resolveServerOptions, type ServerOptions } from "@xdskit/server-core";
import { encodeSotwResponse } from "./encode-sotw-response.js";
import { runSotwStream } from "./run-sotw-stream.js";
import { requestReadError, toConnectError } from "./to-connect-error.js";

/** Options of {@link createSotwStreamHandler}. */
export interface SotwStreamOptions extends ServerOptions {
  /**
   * The type URL of a per-type service (such as `CLUSTER_TYPE_URL` for
   * StreamClusters): requests may leave `type_url` empty and may not name
   * another. Default: `""`, an aggregated (ADS) stream serving every type.
   */
  readonly typeUrl?: string;
  /** Tells callbacks who the peer is (the `server` package derives it from the socket). Default: unknown. */
  readonly peerOf?: (context: HandlerContext) => PeerInfo | undefined;
}

/** A Connect v2 bidi-streaming implementation of a SotW discovery method. */
export type SotwStreamHandler = (
  requests: AsyncIterable<DiscoveryRequest>,
  context: HandlerContext,
) => AsyncIterable<DiscoveryResponse>;

const toMessage = (response: SotwResponse, nonce: string, message: DiscoveryResponse | undefined): DiscoveryResponse =>
  message ?? encodeSotwResponse(response, nonce);

/**
 * The State-of-the-World stream handler: StreamAggregatedResources, or a
 * per-type Stream* method when `typeUrl` is set. Register it with
 * `router.rpc(method, handler)`.
 *
 * Requests are read while responses are written: each accepted request
 * replaces the type's watch on `watcher`; a watch's answer waits in a queue
 * holding at most one response per type, and is written (with a fresh
 * nonce) only when HTTP/2 flow control lets it through.
 */
export function createSotwStreamHandler(watcher: ConfigWatcher, options: SotwStreamOptions = {}): SotwStreamHandler {
  const resolved = resolveServerOptions(options);
  const typeUrl = options.typeUrl ?? "";
  const peerOf = options.peerOf;
  return (requests, context) =>
    asConnectStream(
      runSotwStream(
        watcher,
        resolved,
        readingAs(requests),
        {
          protocol: "sotw",
          typeUrl,
          requestHeader: context.requestHeader,
          peer: peerOf?.(context),
          signal: context.signal,
        },
        toMessage,
      ),
    );
}

// A request that does not decode is the client's fault: INVALID_ARGUMENT.
async function* readingAs(requests: AsyncIterable<DiscoveryRequest>): AsyncGenerator<DiscoveryRequest> {
  try {
    yield* requests;
  } catch (error) {
    throw requestReadError(error, "DiscoveryRequest");
  }
}

async function* asConnectStream<T>(items: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  try {
    yield* items;
  } catch (error) {
    throw toConnectError(error);
  }
}
