import type { ServerContext } from "@xdskit/server-core";
import type { DeltaProtocol } from "@xdskit/server-delta";
import type { SotwProtocol } from "@xdskit/server-sotw";

/** The protocols of one server, as every transport serves them. */
export interface XdsProtocols {
  readonly context: ServerContext;
  readonly sotw: SotwProtocol;
  readonly delta: DeltaProtocol;
  /** Whether the SotW streaming methods and Fetch are served. */
  readonly serveSotw: boolean;
  /** Whether the delta streaming methods are served. */
  readonly serveDelta: boolean;
}
