import type { HandlerContext } from "@connectrpc/connect";
import type { ConfigFetcher } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type PeerInfo, resolveServerOptions, ServerError, type ServerOptions } from "@xdskit/server-core";
import { fetchDiscovery } from "./fetch-discovery.js";
import { toConnectError } from "./to-connect-error.js";

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions extends ServerOptions {
  /** The type URL served, such as `CLUSTER_TYPE_URL` for FetchClusters. Required. */
  readonly typeUrl: string;
  /** Tells callbacks who the peer is. Default: unknown. */
  readonly peerOf?: (context: HandlerContext) => PeerInfo | undefined;
}

/** A Connect v2 unary implementation of a Fetch* method. */
export type FetchHandler = (request: DiscoveryRequest, context: HandlerContext) => Promise<DiscoveryResponse>;

/**
 * The gRPC Fetch* handler (FetchClusters, …): one SotW answer from the
 * cache's current state. A client that is already current (its
 * `version_info` is the cache's) gets FAILED_PRECONDITION "not modified":
 * gRPC has no 304, and an empty response would tell it to drop everything.
 */
export function createFetchHandler(fetcher: ConfigFetcher, options: FetchHandlerOptions): FetchHandler {
  const resolved = resolveServerOptions(options);
  const { typeUrl, peerOf } = options;
  return async (request, context) => {
    try {
      const outcome = await fetchDiscovery(
        fetcher,
        resolved,
        { typeUrl, requestHeader: context.requestHeader, peer: peerOf?.(context) },
        request,
      );
      if (outcome.kind === "response") return outcome.response;
      throw new ServerError("not-modified", `not modified: the client is current at version "${outcome.version}"`, {
        typeUrl,
      });
    } catch (error) {
      throw toConnectError(error);
    }
  };
}
