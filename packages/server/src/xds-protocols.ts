import type { ProtocolStream, ServerContextState, StreamInit } from "@xdskit/server-core/internal";
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { DeltaProtocol } from "@xdskit/server-delta";
import type { SotwProtocol } from "@xdskit/server-sotw";
import type { EndableStream } from "./session-streams.js";

/** The protocols of one server (sharing one server context), as every transport serves them. */
export interface XdsProtocols {
  readonly sotw: SotwProtocol;
  readonly delta: DeltaProtocol;
  /** Opens a SotW stream under the server's stream guards (per-peer budgets, first-request deadline): what every transport calls. */
  readonly openSotw: (init: StreamInit) => ProtocolStream<DiscoveryRequest, DiscoveryResponse> & EndableStream;
  /** Opens a delta stream under the server's stream guards. */
  readonly openDelta: (init: StreamInit) => ProtocolStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> & EndableStream;
  /** Whether the SotW streaming methods and Fetch are served. */
  readonly serveSotw: boolean;
  /** Whether the delta streaming methods are served. */
  readonly serveDelta: boolean;
  /** The context the protocols share: client status for CSDS. */
  readonly context: ServerContextState;
  /** Whether the client status discovery service (CSDS) is served. */
  readonly serveCsds: boolean;
}
