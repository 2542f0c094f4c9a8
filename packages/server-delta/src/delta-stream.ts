import type { HandlerContext } from "@connectrpc/connect";
import type { ConfigWatcher, DeltaResponse } from "@xdskit/cache-core";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type PeerInfo, resolveServerOptions, type ServerOptions } from "@xdskit/server-core";
import { encodeDeltaResponse } from "./encode-delta-response.js";
import { runDeltaStream } from "./run-delta-stream.js";
import { requestReadError, toConnectError } from "./to-connect-error.js";

/** Options of {@link createDeltaStreamHandler}. */
export interface DeltaStreamOptions extends ServerOptions {
  /**
   * The type URL of a per-type service (such as `CLUSTER_TYPE_URL` for
   * DeltaClusters). Default: `""`, an aggregated (delta ADS) stream.
   */
  readonly typeUrl?: string;
  /** Tells callbacks who the peer is. Default: unknown. */
  readonly peerOf?: (context: HandlerContext) => PeerInfo | undefined;
}

/** A Connect v2 bidi-streaming implementation of a delta discovery method. */
export type DeltaStreamHandler = (
  requests: AsyncIterable<DeltaDiscoveryRequest>,
  context: HandlerContext,
) => AsyncIterable<DeltaDiscoveryResponse>;

const toMessage = (
  response: DeltaResponse,
  nonce: string,
  message: DeltaDiscoveryResponse | undefined,
): DeltaDiscoveryResponse => message ?? encodeDeltaResponse(response, nonce);

/**
 * The incremental (delta) stream handler: DeltaAggregatedResources, or a
 * per-type Delta* method when `typeUrl` is set. Subscription changes are
 * applied whatever nonce they carry; a request with a stale nonce and no
 * change is ignored. A NACK is reported once and not rolled back: the
 * rejected resources are not sent again until they change.
 */
export function createDeltaStreamHandler(watcher: ConfigWatcher, options: DeltaStreamOptions = {}): DeltaStreamHandler {
  const resolved = resolveServerOptions(options);
  const typeUrl = options.typeUrl ?? "";
  const peerOf = options.peerOf;
  return (requests, context) =>
    asConnectStream(
      runDeltaStream(
        watcher,
        resolved,
        readingAs(requests),
        {
          protocol: "delta",
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
async function* readingAs(requests: AsyncIterable<DeltaDiscoveryRequest>): AsyncGenerator<DeltaDiscoveryRequest> {
  try {
    yield* requests;
  } catch (error) {
    throw requestReadError(error, "DeltaDiscoveryRequest");
  }
}

async function* asConnectStream<T>(items: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  try {
    yield* items;
  } catch (error) {
    throw toConnectError(error);
  }
}
