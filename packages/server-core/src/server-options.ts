import {
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  type Logger,
  SCOPED_ROUTE_TYPE_URL,
  silentLogger,
} from "@xdskit/cache-core";
import type { Callbacks } from "./callbacks.js";

/**
 * The types whose empty first request means "everything" by default: the
 * ones Envoy subscribes to as a wildcard (listeners, clusters, and scoped
 * routes). For every other type an empty request means "nothing", which is
 * what Envoy means when it drops its last EDS or RDS name.
 */
export const DEFAULT_LEGACY_WILDCARD_TYPES: ReadonlySet<string> = new Set([
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
]);

/** Options every xdskit server accepts. */
export interface ServerOptions {
  /** Hooks into streams and fetches. Default: none. */
  readonly callbacks?: Callbacks;
  /** Where NACKs (warn), refused streams and callback failures (error) and protocol events (debug) go. Default: silent. */
  readonly logger?: Logger;
  /**
   * Whether a first request that names no resources subscribes to every
   * resource of its type (legacy wildcard). `false` turns it off everywhere
   * (gRPC's proxyless clients need this: they only subscribe explicitly, and
   * `"*"` still works); a function decides per type URL. Default:
   * {@link DEFAULT_LEGACY_WILDCARD_TYPES} (CDS, LDS, SRDS).
   */
  readonly legacyWildcard?: boolean | ((typeUrl: string) => boolean);
  /**
   * ADS only: when responses for several types are ready, write them in
   * `ADS_RESPONSE_ORDER` (clusters, endpoints, listeners, routes, …) rather
   * than in the order they became ready. Default: `false`.
   */
  readonly ordered?: boolean;
  /**
   * When aborted, every open stream ends with UNAVAILABLE (so proxies
   * reconnect elsewhere) and new ones are refused the same way. Default: none.
   */
  readonly shutdownSignal?: AbortSignal;
}

/** {@link ServerOptions} with every default applied. */
export interface ResolvedServerOptions {
  readonly callbacks: Callbacks;
  readonly logger: Logger;
  readonly ordered: boolean;
  readonly shutdownSignal: AbortSignal | undefined;
  /** Whether an empty first request of this type is a legacy wildcard. */
  allowsLegacyWildcard(typeUrl: string): boolean;
}

/** Applies the documented defaults of {@link ServerOptions}. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const legacy = options.legacyWildcard;
  const allowsLegacyWildcard =
    legacy === undefined
      ? (typeUrl: string) => DEFAULT_LEGACY_WILDCARD_TYPES.has(typeUrl)
      : typeof legacy === "boolean"
        ? () => legacy
        : legacy;
  return {
    callbacks: options.callbacks ?? {},
    logger: options.logger ?? silentLogger,
    ordered: options.ordered ?? false,
    shutdownSignal: options.shutdownSignal,
    allowsLegacyWildcard,
  };
}
