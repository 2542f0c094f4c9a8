// A small in-memory cache for the server tests: one version per type, every
// node sees the same thing. It implements only the cache-core interfaces.
import {
  CacheError,
  type CachedResource,
  type Cancel,
  type ConfigFetcher,
  type ConfigWatcher,
  type DeltaResponse,
  type FetchResult,
  type SotwResponse,
  type Subscription,
} from "@xdskit/cache-core";
import type {
  DeltaDiscoveryRequest,
  DiscoveryRequest,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

interface TypeContent {
  version: string;
  resources: Map<string, CachedResource>;
}

interface SotwWatch {
  request: DiscoveryRequest;
  subscription: Subscription;
  respond: (response: SotwResponse) => void;
}

interface DeltaWatch {
  request: DeltaDiscoveryRequest;
  subscription: Subscription;
  respond: (response: DeltaResponse) => void;
}

// "/*" at the end of a name subscribes to every name with that prefix (xdstp collections).
function wants(subscription: Subscription, name: string): boolean {
  if (subscription.isWildcard() || subscription.resourceNames().has(name)) return true;
  for (const wanted of subscription.resourceNames()) {
    if (wanted.endsWith("/*") && name.startsWith(wanted.slice(0, -1))) return true;
  }
  return false;
}

export class TestCache implements ConfigWatcher, ConfigFetcher {
  readonly #types = new Map<string, TypeContent>();
  readonly #sotw = new Set<SotwWatch>();
  readonly #delta = new Set<DeltaWatch>();
  readonly #served: ReadonlySet<string> | undefined;
  /** The SotW requests the cache was asked to watch, in order (the last 100). */
  readonly sotwRequests: DiscoveryRequest[] = [];

  constructor(served?: Iterable<string>) {
    this.#served = served === undefined ? undefined : new Set(served);
  }

  get watchCount(): number {
    return this.#sotw.size + this.#delta.size;
  }

  /** Sets one type's content and answers the watches that are now behind. */
  set(typeUrl: string, version: string, resources: readonly CachedResource[]): void {
    this.#put(typeUrl, version, resources);
    this.#answer(new Set([typeUrl]));
  }

  /** Sets several types, then answers watches, in the order given. */
  setMany(entries: ReadonlyArray<readonly [string, string, readonly CachedResource[]]>): void {
    for (const [typeUrl, version, resources] of entries) this.#put(typeUrl, version, resources);
    for (const [typeUrl] of entries) this.#answer(new Set([typeUrl]));
  }

  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel {
    this.#check(request.typeUrl);
    this.sotwRequests.push(request);
    if (this.sotwRequests.length > 100) this.sotwRequests.shift();
    const watch: SotwWatch = { request, subscription, respond };
    const answer = this.#sotwAnswer(watch);
    if (answer !== undefined) {
      respond(answer);
      return () => {};
    }
    this.#sotw.add(watch);
    return () => this.#sotw.delete(watch);
  }

  createDeltaWatch(
    request: DeltaDiscoveryRequest,
    subscription: Subscription,
    respond: (response: DeltaResponse) => void,
  ): Cancel {
    this.#check(request.typeUrl);
    const watch: DeltaWatch = { request, subscription, respond };
    const answer = this.#deltaAnswer(watch);
    if (answer !== undefined) {
      respond(answer);
      return () => {};
    }
    this.#delta.add(watch);
    return () => this.#delta.delete(watch);
  }

  async fetch(request: DiscoveryRequest): Promise<FetchResult> {
    this.#check(request.typeUrl);
    const content = this.#types.get(request.typeUrl) ?? { version: "", resources: new Map() };
    if (request.versionInfo === content.version) return { kind: "not-modified", request, version: content.version };
    const names = new Set(request.resourceNames);
    const resources = [...content.resources.values()].filter((r) => names.size === 0 || names.has(r.name));
    return {
      kind: "response",
      response: { request, typeUrl: request.typeUrl, version: content.version, resources, heartbeat: false },
    };
  }

  #check(typeUrl: string): void {
    if (this.#served !== undefined && !this.#served.has(typeUrl)) {
      throw new CacheError("unknown-type", `the test cache does not serve type "${typeUrl}"`, { typeUrl });
    }
  }

  #put(typeUrl: string, version: string, resources: readonly CachedResource[]): void {
    this.#types.set(typeUrl, { version, resources: new Map(resources.map((r) => [r.name, r])) });
  }

  #answer(types: ReadonlySet<string>): void {
    for (const watch of [...this.#sotw]) {
      if (!types.has(watch.request.typeUrl)) continue;
      const answer = this.#sotwAnswer(watch);
      if (answer === undefined) continue;
      this.#sotw.delete(watch);
      watch.respond(answer);
    }
    for (const watch of [...this.#delta]) {
      if (!types.has(watch.request.typeUrl)) continue;
      const answer = this.#deltaAnswer(watch);
      if (answer === undefined) continue;
      this.#delta.delete(watch);
      watch.respond(answer);
    }
  }

  #sotwAnswer(watch: SotwWatch): SotwResponse | undefined {
    const { request, subscription } = watch;
    const content = this.#types.get(request.typeUrl);
    if (content === undefined) return undefined;
    const resources = [...content.resources.values()].filter((r) => wants(subscription, r.name));
    let behind = request.versionInfo !== content.version;
    if (!behind && !subscription.isWildcard()) {
      const returned = subscription.returnedResources();
      behind = resources.some((r) => !returned.has(r.name));
    }
    if (!behind) return undefined;
    return { request, typeUrl: request.typeUrl, version: content.version, resources, heartbeat: false };
  }

  #deltaAnswer(watch: DeltaWatch): DeltaResponse | undefined {
    const { request, subscription } = watch;
    const content = this.#types.get(request.typeUrl) ?? { version: "", resources: new Map<string, CachedResource>() };
    const returned = subscription.returnedResources();
    const changed: CachedResource[] = [];
    const removed: string[] = [];
    for (const resource of content.resources.values()) {
      if (!wants(subscription, resource.name)) continue;
      if (returned.get(resource.name) !== resource.hash) changed.push(resource);
    }
    for (const name of returned.keys()) {
      if (!content.resources.has(name)) removed.push(name);
    }
    if (changed.length === 0 && removed.length === 0) return undefined;
    return {
      request,
      typeUrl: request.typeUrl,
      systemVersion: content.version,
      resources: changed,
      removed,
    };
  }
}
