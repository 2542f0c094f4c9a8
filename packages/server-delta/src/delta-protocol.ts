import type { ConfigWatcher } from "@xdskit/cache-core";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ServerContext } from "@xdskit/server-core";
import { contextState, type ProtocolStream, type StreamInit } from "@xdskit/server-core/internal";
import { DeltaStream } from "./delta-stream.js";

/** The incremental (delta) protocol over one cache, for transports to serve. */
export interface DeltaProtocol {
  /**
   * A new stream: delta ADS when `init.typeUrl` is `""`, else the per-type
   * Delta* method of that type (VHDS and LEDS included). See
   * `ProtocolStream` for how to drive it.
   */
  openStream(init: StreamInit): ProtocolStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

/**
 * The incremental (delta) xDS protocol over a cache (anything implementing
 * `ConfigWatcher`), sharing `context` (options, `maxStreams`, shutdown) with
 * every other protocol and transport of the server. It holds no transport:
 * `@xdskit/server` serves it over gRPC and Connect.
 */
export function createDeltaProtocol(cache: ConfigWatcher, context: ServerContext): DeltaProtocol {
  const state = contextState(context);
  return { openStream: (init) => new DeltaStream(cache, state, init) };
}
