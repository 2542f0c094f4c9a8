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

/** Default of {@link ServerOptions.firstResponseWarnMs}. */
export const DEFAULT_FIRST_RESPONSE_WARN_MS = 10_000;

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
   * How long a stream may wait for its first response of a type, in ms,
   * before the server warns (once per node and type, through `logger`) that
   * the cache has not answered: the proxy stays initializing meanwhile. The
   * warning names the node, its cluster, the type and the names asked for;
   * an info line follows when the answer comes. `0` turns it off. Default:
   * 10,000 (Envoy's `initial_fetch_timeout` is 15 s).
   */
  readonly firstResponseWarnMs?: number | undefined;
  /**
   * Where the server's metrics go (OpenTelemetry). Default: the global meter
   * provider of `@opentelemetry/api`, a no-op until the application registers one.
   */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Send the per-resource errors the cache reports (`resource_errors`,
   * xRFC TP3: `DiscoveryResponse` field 7, `DeltaDiscoveryResponse` field 9),
   * set with a snapshot's `errors` or a linear cache's `setResourceError`.
   * On by default: no client feature negotiates the field (gRFC A88 clients
   * read it whenever it is present), clients that do not know it skip it
   * (Envoy 1.40 and grpc-js-xds 1.14 are tested with it), the spec'd
   * behaviour is sent as well (SotW leaves the name out, delta lists it in
   * `removed_resources`), and a response carries errors only when the cache
   * has some for names the client subscribes to. `false` leaves them out of
   * every response (the server still records them as told, so a cache
   * answers a name's error once, not on every request). Default: `true`.
   */
  readonly resourceErrors?: boolean | undefined;
}

/** The limits of {@link ResolvedServerOptions}. */
export interface StreamLimits {
  /** See {@link @xdskit/server-core#ServerOptions.maxStreams}. */
  readonly maxStreams: number;
  /** See {@link @xdskit/server-core#ServerOptions.maxResourceNamesPerRequest}. */
  readonly maxResourceNamesPerRequest: number;
  /** See {@link @xdskit/server-core#ServerOptions.maxSubscribedNameBytes}. */
  readonly maxSubscribedNameBytes: number;
  /** See {@link @xdskit/server-core#ServerOptions.maxRequestsPerSecond}. */
  readonly maxRequestsPerSecond: number;
  /** See {@link @xdskit/server-core#ServerOptions.requestBurst}. */
  readonly requestBurst: number;
}

/** {@link @xdskit/server-core#ServerOptions} with every default applied. */
export interface ResolvedServerOptions {
  /** The callbacks; `{}` when none were given. */
  readonly callbacks: Callbacks;
  /** The logger; the silent one by default. */
  readonly logger: Logger;
  /** Whether ADS responses go out in `ADS_RESPONSE_ORDER`. */
  readonly ordered: boolean;
  /** The identity binding, when on. */
  readonly identity: ResolvedIdentityBinding | undefined;
  /** The stream limits with their defaults. */
  readonly limits: StreamLimits;
  /** The meter provider given, if any. */
  readonly meterProvider: MeterProvider | undefined;
  /** See {@link @xdskit/server-core#ServerOptions.firstResponseWarnMs}; 0 when off. */
  readonly firstResponseWarnMs: number;
  /** See {@link @xdskit/server-core#ServerOptions.resourceErrors}. */
  readonly resourceErrors: boolean;
  /** Whether an empty first request of this type is a legacy wildcard. */
  allowsLegacyWildcard(typeUrl: string): boolean;
}

/** Applies the documented defaults of {@link @xdskit/server-core#ServerOptions}. */
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
    firstResponseWarnMs: options.firstResponseWarnMs ?? DEFAULT_FIRST_RESPONSE_WARN_MS,
    resourceErrors: options.resourceErrors ?? true,
    allowsLegacyWildcard,
  };
}
