import {
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  type Logger,
  SCOPED_ROUTE_TYPE_URL,
  silentLogger,
} from "@xdskit/cache-core";
import type { MeterProvider } from "@opentelemetry/api";
import type { Callbacks } from "./callbacks.js";
import { type IdentityBinding, type ResolvedIdentityBinding, resolveIdentityBinding } from "./node-identity.js";

/** The documented defaults of the limits in {@link ServerOptions}. */
export const DEFAULT_LIMITS = Object.freeze({
  maxStreams: 10_000,
  maxResourceNamesPerRequest: Number.POSITIVE_INFINITY,
  maxSubscribedNameBytes: 64 * 1024 * 1024,
  maxRequestsPerSecond: 1000,
  requestBurst: 2000,
} as const);

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

/**
 * Options every xdskit server accepts: given to `createServerContext` (or
 * `createXdsServer`, which makes the context), shared by every protocol and
 * transport of the server. Every property may be left out or `undefined`.
 */
export interface ServerOptions {
  /** Hooks into streams and fetches. Default: none. */
  readonly callbacks?: Callbacks | undefined;
  /** Where NACKs (warn), refused streams and callback failures (error) and protocol events (debug) go. Default: silent. */
  readonly logger?: Logger | undefined;
  /**
   * Whether a first request that names no resources subscribes to every
   * resource of its type (legacy wildcard). `false` turns it off everywhere
   * (gRPC's proxyless clients need this: they only subscribe explicitly, and
   * `"*"` still works); a function decides per type URL. Default:
   * {@link DEFAULT_LEGACY_WILDCARD_TYPES} (CDS, LDS, SRDS).
   */
  readonly legacyWildcard?: boolean | ((typeUrl: string) => boolean) | undefined;
  /**
   * ADS only: when responses for several types are ready, write them in
   * `ADS_RESPONSE_ORDER` (clusters, endpoints, listeners, routes, …) rather
   * than in the order they became ready. Default: `false`.
   */
  readonly ordered?: boolean | undefined;
  /**
   * Binds each stream's node to the identity of its client certificate
   * (mTLS): a first request whose `node.id` (or cluster) does not match is
   * refused with PERMISSION_DENIED. Default: off.
   */
  readonly identity?: IdentityBinding | undefined;
  /**
   * The most streams open at once; the next one is refused with
   * RESOURCE_EXHAUSTED when it opens. `Infinity` for no limit. Default: 10,000.
   */
  readonly maxStreams?: number | undefined;
  /**
   * The most distinct resource names one request may carry (SotW
   * `resource_names`; delta subscribe, unsubscribe and initial versions
   * together; a name repeated counts once). More ends the stream with
   * INVALID_ARGUMENT. Default: `Infinity`: a proxy names every cluster of
   * its EDS in one request, so any count could cut off a legitimate large
   * proxy on every reconnect; `maxSubscribedNameBytes` and the transport's
   * message size bound memory instead.
   */
  readonly maxResourceNamesPerRequest?: number | undefined;
  /**
   * The most resource names a stream may hold subscribed, as the sum of
   * their lengths (UTF-16 code units: bytes for ASCII names) over its
   * distinct names of every type (`"*"` included). A request
   * that would take the stream over it ends the stream with
   * RESOURCE_EXHAUSTED. `Infinity` for no limit. Default: 64 Mi (a million
   * names of 64 characters; a proxy with 200,000 clusters of 80-character
   * names uses a quarter of it).
   */
  readonly maxSubscribedNameBytes?: number | undefined;
  /**
   * Requests a stream may send per second, on average (a token bucket of
   * `requestBurst`); a stream sending faster ends with RESOURCE_EXHAUSTED.
   * The first ACK/NACK of each response is not counted (it follows the
   * server's own pace). `Infinity` for no limit. Default: 1,000 (a
   * real Envoy doing on-demand discovery, ODCDS and VHDS, sends a
   * subscription per new cluster or host: 300 in a second in the on-demand
   * integration test, which 100 cut off).
   */
  readonly maxRequestsPerSecond?: number | undefined;
  /** How many requests a stream may send at once before `maxRequestsPerSecond` applies. Default: 2,000. */
  readonly requestBurst?: number | undefined;
  /**
   * Where the server's metrics go (OpenTelemetry). Default: the global meter
   * provider of `@opentelemetry/api`, a no-op until the application registers one.
   */
  readonly meterProvider?: MeterProvider | undefined;
}

/** The limits of {@link ResolvedServerOptions}. */
export interface StreamLimits {
  readonly maxStreams: number;
  readonly maxResourceNamesPerRequest: number;
  readonly maxSubscribedNameBytes: number;
  readonly maxRequestsPerSecond: number;
  readonly requestBurst: number;
}

/** {@link ServerOptions} with every default applied. */
export interface ResolvedServerOptions {
  readonly callbacks: Callbacks;
  readonly logger: Logger;
  readonly ordered: boolean;
  /** The identity binding, when on. */
  readonly identity: ResolvedIdentityBinding | undefined;
  readonly limits: StreamLimits;
  /** The meter provider given, if any. */
  readonly meterProvider: MeterProvider | undefined;
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
    identity: options.identity === undefined ? undefined : resolveIdentityBinding(options.identity),
    limits: {
      maxStreams: options.maxStreams ?? DEFAULT_LIMITS.maxStreams,
      maxResourceNamesPerRequest: options.maxResourceNamesPerRequest ?? DEFAULT_LIMITS.maxResourceNamesPerRequest,
      maxSubscribedNameBytes: options.maxSubscribedNameBytes ?? DEFAULT_LIMITS.maxSubscribedNameBytes,
      maxRequestsPerSecond: options.maxRequestsPerSecond ?? DEFAULT_LIMITS.maxRequestsPerSecond,
      requestBurst: options.requestBurst ?? DEFAULT_LIMITS.requestBurst,
    },
    meterProvider: options.meterProvider,
    allowsLegacyWildcard,
  };
}
