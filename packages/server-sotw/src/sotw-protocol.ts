import type { ConfigFetcher, ConfigWatcher } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { GrpcStatus, type ServerContext, ServerError } from "@xdskit/server-core";
import { contextState, type ProtocolStream, type StreamInit } from "@xdskit/server-core/internal";
import { type FetchCall, type FetchOutcome, fetchSotw } from "./sotw-fetch.js";
import { SotwStream } from "./sotw-stream.js";

/** The State-of-the-World protocol over one cache, for transports to serve. */
export interface SotwProtocol {
  /**
   * A new stream: ADS when `init.typeUrl` is `""`, else the per-type
   * Stream* method of that type. See `ProtocolStream` for how to drive it.
   */
  openStream(init: StreamInit): ProtocolStream<DiscoveryRequest, DiscoveryResponse>;
  /** Whether the cache is also a `ConfigFetcher`, so that {@link SotwProtocol.fetch} works. */
  readonly fetches: boolean;
  /**
   * One Fetch* (or REST) call: the cache's current answer, or "not modified"
   * when the client's `version_info` is current.
   *
   * @throws {ServerError} `missing-node`, `type-url-mismatch`, UNIMPLEMENTED
   *   when the cache is not a `ConfigFetcher`; whatever a callback or the cache throws.
   */
  fetch(call: FetchCall, request: DiscoveryRequest): Promise<FetchOutcome>;
}

function isFetcher(cache: ConfigWatcher): cache is ConfigWatcher & ConfigFetcher {
  return typeof (cache as Partial<ConfigFetcher>).fetch === "function";
}

/**
 * The State-of-the-World xDS protocol over a cache (anything implementing
 * `ConfigWatcher`, and `ConfigFetcher` for Fetch), sharing `context` (options,
 * `maxStreams`, shutdown) with every other protocol and transport of the server.
 * It holds no transport: `@xdskit/server` serves it over gRPC, Connect and REST.
 */
export function createSotwProtocol(cache: ConfigWatcher, context: ServerContext): SotwProtocol {
  const state = contextState(context);
  const fetcher = isFetcher(cache) ? cache : undefined;
  return {
    openStream: (init) => new SotwStream(cache, state, init),
    fetches: fetcher !== undefined,
    async fetch(call, request) {
      if (fetcher === undefined) {
        throw new ServerError("invalid-request", "this xDS server's cache does not answer fetches (it is not a ConfigFetcher)", {
          typeUrl: call.typeUrl,
          status: GrpcStatus.UNIMPLEMENTED,
        });
      }
      return fetchSotw(fetcher, state.options, call, request);
    },
  };
}
