import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { CachedResource } from "./cached-resource.js";
import type { ResourceErrorReport } from "./resource-error-report.js";
import type { Subscription } from "./subscription.js";

/**
 * Stops a watch. Idempotent, safe to call after the watch responded, and
 * after it returns `respond` is never called.
 */
export type Cancel = () => void;

/** A State-of-the-World answer: everything the client should hold of one type, at one version. */
export interface SotwResponse {
  /** The request this answers. */
  readonly request: DiscoveryRequest;
  /** The type URL answered (the request's, unless a per-type server filled it in). */
  readonly typeUrl: string;
  /** `version_info` of the response. */
  readonly version: string;
  /** The resources, pre-marshalled. The server wraps each as `Any` ({@link CachedResource.any}). */
  readonly resources: readonly CachedResource[];
  /**
   * A TTL refresh: the server sends resources that have a TTL as
   * `Resource{name, version, ttl}` without a body, which renews the TTL on
   * the client without changing the resource. False for ordinary responses.
   */
  readonly heartbeat: boolean;
  /**
   * `resource_errors` (xRFC TP3): why names the client subscribes to by name
   * are not served, for names the response carries no resource of (a
   * response never names a resource both ways; one that carries it clears
   * the client's error). Default: none.
   */
  readonly errors?: readonly ResourceErrorReport[] | undefined;
}

/**
 * An incremental answer: only what changed for one stream of one type. What
 * the client holds once it applies it follows from the answer itself (see
 * `MutableSubscription.recordDeltaResponse`), so an answer costs what
 * changed, not what the client holds.
 */
export interface DeltaResponse {
  /** The request this answers. */
  readonly request: DeltaDiscoveryRequest;
  /** The type URL answered. */
  readonly typeUrl: string;
  /** `system_version_info` of the response (informational, for debugging). */
  readonly systemVersion: string;
  /**
   * Added or changed resources. Each is sent as `Resource{name, version,
   * resource, ttl}` with `version` = its {@link CachedResource.hash}.
   */
  readonly resources: readonly CachedResource[];
  /**
   * `removed_resources`: names the client held that are gone, and names a
   * non-wildcard subscription names explicitly (not through a glob) that do
   * not exist, so the client need not wait out its `initial_fetch_timeout`.
   * A wildcard subscription is never told about names it did not hold. A name that does not exist
   * is reported once per subscription, and again only after it was created
   * and deleted: the server records a removed name the subscription names
   * explicitly as `ABSENT_RESOURCE_VERSION`, after sending, and only then.
   */
  readonly removed: readonly string[];
  /**
   * The names of `removed` the client never held: subscribed names that do
   * not exist. Servers report them the way the type needs: for VHDS, a
   * `Resource` naming them without a body (Envoy resolves a pending
   * on-demand virtual host only that way; `removed_resources` leaves its
   * request waiting). Default: none.
   */
  readonly absent?: readonly string[] | undefined;
  /**
   * `resource_errors` (xRFC TP3): why names of `removed` are not served, for
   * those the cache has an error for. The names stay in `removed` (and
   * `absent`), so clients that do not read the field are told as before.
   * Default: none.
   */
  readonly errors?: readonly ResourceErrorReport[] | undefined;
}

/**
 * What a server asks a cache: "tell me when this client is behind". Servers
 * depend on this interface, never on a concrete cache.
 *
 * Contract for both watch kinds:
 * - `respond` is called at most once per watch. A stream that wants more
 *   opens a new watch (on its next request, or right after responding).
 * - `respond` may be called synchronously, before `createWatch` returns,
 *   when the cache can answer at once; otherwise later, from whatever call
 *   made the answer available (such as `setSnapshot`). It must not throw and
 *   should not block: hand the response to the stream and return.
 * - After `cancel()` returns, `respond` is never called. Servers call the
 *   cancel of every watch they created, answered or not, when its stream
 *   ends or they replace the watch: a cache may keep what it derived from a
 *   subscription (name indexes) from one watch of it to the next until then.
 * - `request.typeUrl` must be set: per-type servers fill it in when the
 *   client left it empty.
 * - Bad input (for example a type URL the cache does not serve) throws a
 *   `CacheError` synchronously rather than calling `respond`.
 */
export interface ConfigWatcher {
  /**
   * Watch for a SotW response. The cache answers when the version it would
   * send differs from `request.versionInfo`, or, for non-wildcard
   * subscriptions, when the client names resources it was not sent yet
   * (compare {@link Subscription.returnedResources}).
   */
  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel;
  /**
   * Watch for a delta response. The cache answers when a subscribed resource
   * differs from the version in {@link Subscription.returnedResources}, one
   * the client holds has gone, or a name subscribed by name does not exist
   * and the client was not told so yet. A wildcard subscription that was
   * never {@link Subscription.answered} is answered even with nothing to send.
   */
  createDeltaWatch(
    request: DeltaDiscoveryRequest,
    subscription: Subscription,
    respond: (response: DeltaResponse) => void,
  ): Cancel;
}

/** The outcome of {@link ConfigFetcher.fetch}. */
export type FetchResult =
  | { readonly kind: "response"; readonly response: SotwResponse }
  /** The client's `version_info` is current: REST servers answer 304 Not Modified. */
  | { readonly kind: "not-modified"; readonly request: DiscoveryRequest; readonly version: string };

/** One-shot (REST / polling) reads, answered from the current state without waiting. */
export interface ConfigFetcher {
  /**
   * The current resources a request asks for, or `not-modified` when its
   * `version_info` is already current.
   *
   * @throws {CacheError} for bad input such as a type URL the cache does not serve
   *   or a missing node (the promise rejects).
   */
  fetch(request: DiscoveryRequest): Promise<FetchResult>;
}

/** A cache servers can stream from and fetch from. */
export type Cache = ConfigWatcher & ConfigFetcher;
