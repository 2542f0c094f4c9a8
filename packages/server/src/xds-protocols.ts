import type { ServerContextState } from "@xdskit/server-core/internal";
import type { DeltaProtocol } from "@xdskit/server-delta";
import type { SotwProtocol } from "@xdskit/server-sotw";

/** The protocols of one server (sharing one server context), as every transport serves them. */
export interface XdsProtocols {
  readonly sotw: SotwProtocol;
  readonly delta: DeltaProtocol;
  /** Whether the SotW streaming methods and Fetch are served. */
  readonly serveSotw: boolean;
  /** Whether the delta streaming methods are served. */
  readonly serveDelta: boolean;
  /** The context the protocols share: client status for CSDS. */
  readonly context: ServerContextState;
  /** Whether the client status discovery service (CSDS) is served. */
  readonly serveCsds: boolean;
}
