import {
  type Cache,
  CacheError,
  type Cancel,
  type DeltaResponse,
  type FetchResult,
  type Logger,
  type SotwResponse,
  type Subscription,
  silentLogger,
} from "@xdskit/cache-core";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { MuxCacheError } from "./mux-cache-error.js";

/** Picks the key of the cache that serves a request; `undefined` when none does. */
export type Classify<R> = (request: R) => string | undefined;

/** Options of {@link createMuxCache}. Give `caches`, `fallback`, or both. */
export interface MuxCacheOptions {
  /**
   * The caches, by key. With the default classifiers the keys are type URLs,
   * for example `{ [ENDPOINT_TYPE_URL]: linear }`. Default: none.
   */
  readonly caches?: ReadonlyMap<string, Cache> | Readonly<Record<string, Cache>> | undefined;
  /**
   * The cache for every request no classifier claims: the classifier returned
   * `undefined`, or a key no cache is registered under. The usual use is a
   * snapshot cache for everything beside a linear cache for endpoints:
   * `{ caches: { [ENDPOINT_TYPE_URL]: linear }, fallback: snapshots }`.
   * Default: none, such a request throws a {@link MuxCacheError}.
   */
  readonly fallback?: Cache | undefined;
  /** Routes SotW watches and fetches. Default: the request's type URL. */
  readonly classify?: Classify<DiscoveryRequest> | undefined;
  /** Routes delta watches. Default: the request's type URL. */
  readonly classifyDelta?: Classify<DeltaDiscoveryRequest> | undefined;
  /**
   * Warned once per type URL that no cache serves (up to 100 type URLs, a
   * debug line afterwards): a client retrying an unknown type is not a new
   * problem on every request. Default: silent.
   */
  readonly logger?: Logger | undefined;
}

/**
 * One {@link @xdskit/cache-core#Cache} made of several: each watch and fetch goes to the cache
 * its classifier picks, or to the fallback cache when none is picked, and
 * that cache alone answers it (responses and cancels pass through
 * untouched). Without a fallback, a request no cache claims throws a
 * {@link MuxCacheError} naming its type URL (fetch: the promise rejects).
 */
export interface MuxCache extends Cache {
  /** The keys of the caches, in the order given (the fallback has none). */
  readonly keys: readonly string[];
  /** The cache a SotW request or fetch would go to (the fallback included), or `undefined`. Never throws. */
  cacheFor(request: DiscoveryRequest): Cache | undefined;
  /** The cache a delta request would go to (the fallback included), or `undefined`. Never throws. */
  cacheForDelta(request: DeltaDiscoveryRequest): Cache | undefined;
}

/** How many distinct unserved type URLs are warned about; the rest are logged at debug. */
const WARNED_TYPE_URLS = 100;

const byTypeUrl = (request: { readonly typeUrl: string }): string => request.typeUrl;

class MuxCacheImpl implements MuxCache {
  readonly keys: readonly string[];
  readonly #caches: ReadonlyMap<string, Cache>;
  readonly #fallback: Cache | undefined;
  readonly #classify: Classify<DiscoveryRequest>;
  readonly #classifyDelta: Classify<DeltaDiscoveryRequest>;
  readonly #logger: Logger;
  /** Type URLs already warned about (client-chosen strings: bounded). */
  readonly #warned = new Set<string>();

  constructor(options: MuxCacheOptions) {
    const caches = options.caches ?? {};
    this.#caches = caches instanceof Map ? new Map(caches) : new Map(Object.entries(caches));
    this.#fallback = options.fallback;
    this.keys = Object.freeze([...this.#caches.keys()]);
    this.#classify = options.classify ?? byTypeUrl;
    this.#classifyDelta = options.classifyDelta ?? byTypeUrl;
    this.#logger = options.logger ?? silentLogger;
  }

  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel {
    return this.#route(this.#classify, request).createWatch(request, subscription, respond);
  }

  createDeltaWatch(request: DeltaDiscoveryRequest, subscription: Subscription, respond: (response: DeltaResponse) => void): Cancel {
    return this.#route(this.#classifyDelta, request).createDeltaWatch(request, subscription, respond);
  }

  async fetch(request: DiscoveryRequest): Promise<FetchResult> {
    return this.#route(this.#classify, request).fetch(request);
  }

  cacheFor(request: DiscoveryRequest): Cache | undefined {
    return this.#lookup(this.#classify, request);
  }

  cacheForDelta(request: DeltaDiscoveryRequest): Cache | undefined {
    return this.#lookup(this.#classifyDelta, request);
  }

  #lookup<R extends { readonly typeUrl: string }>(classify: Classify<R>, request: R): Cache | undefined {
    let key: string | undefined;
    try {
      key = classify(request);
    } catch {
      return undefined;
    }
    return (key === undefined ? undefined : this.#caches.get(key)) ?? this.#fallback;
  }

  #route<R extends { readonly typeUrl: string }>(classify: Classify<R>, request: R): Cache {
    const typeUrl = request.typeUrl;
    let key: string | undefined;
    try {
      key = classify(request);
    } catch (error) {
      if (error instanceof CacheError) throw error;
      throw new MuxCacheError(`classifying a request of type "${typeUrl}" failed: ${String(error)}`, { typeUrl, cause: error });
    }
    const cache = (key === undefined ? undefined : this.#caches.get(key)) ?? this.#fallback;
    if (cache !== undefined) return cache;
    const known = this.keys.length === 0 ? "none" : this.keys.map((k) => `"${k}"`).join(", ");
    const message =
      key === undefined || key === typeUrl
        ? `no cache serves type "${typeUrl}" (caches: ${known}; no fallback cache)`
        : `no cache serves type "${typeUrl}": it was classified as "${key}", which is not one of the caches (${known}), and there is no fallback cache`;
    const fields = { typeUrl, cacheKey: key };
    if (this.#warned.has(typeUrl) || this.#warned.size >= WARNED_TYPE_URLS) this.#logger.debug(`mux cache: ${message}`, fields);
    else {
      this.#warned.add(typeUrl);
      this.#logger.warn(`mux cache: ${message}`, fields);
    }
    throw new MuxCacheError(message, key === undefined ? { typeUrl } : { typeUrl, cacheKey: key });
  }
}

/**
 * A cache that routes every request to one of `caches`, or to `fallback`.
 *
 * @example
 * // Endpoints from a linear cache, everything else from a snapshot cache.
 * const cache = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds }, fallback: snapshots });
 */
export function createMuxCache(options: MuxCacheOptions): MuxCache {
  return new MuxCacheImpl(options);
}
