import {
  type CachedResource,
  ChangeListeners,
  type Cancel,
  type DeltaResponse,
  type FetchResult,
  type Logger,
  normalizeResourceName,
  type ResourceErrorDetail,
  type ResourceErrorReport,
  type SotwResponse,
  type Subscription,
} from "@xdskit/cache-core";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { DeltaRegistrations } from "./delta-registrations.js";
import { type DeltaDiff, type DeltaRegistration, type DeltaWatch, deltaDiffAll, deltaDiffOf, deltaResponse, isEmptyDiff } from "./delta-watch.js";
import { notLeadingError, outOfOrderError, wrongTypeError } from "./linear-cache-error.js";
import { type LinearCacheChange, type LinearCacheState, linearCacheStateOf, resourceDataOf } from "./linear-cache-feed.js";
import {
  type FollowLinearCacheOptions,
  type LinearCache,
  type LinearCacheFollower,
  type LinearCacheOptions,
  type ResourceInput,
  resolveLinearCacheOptions,
} from "./linear-cache-api.js";
import { MissingNameDiagnostics } from "./missing-name-diagnostics.js";
import { ResourcePreparer } from "./resource-preparer.js";
import { ResourceStore } from "./resource-store.js";
import { errorsOf, parseVersion, type SotwWatch, sotwAnswerableAfter, sotwNeedsAnswer, sotwResponse } from "./sotw-watch.js";
import { WatchesByName } from "./watches-by-name.js";
import { keysOfNames, watchKeysOf } from "./watch-keys.js";

export type { FollowLinearCacheOptions, LinearCache, LinearCacheFollower, LinearCacheOptions, ResourceInput } from "./linear-cache-api.js";

class LinearCacheImpl implements LinearCacheFollower {
  readonly typeUrl: string;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #store = new ResourceStore();
  readonly #sotw = new WatchesByName<SotwWatch>();
  readonly #delta = new DeltaRegistrations();
  #versionAt = -1;
  #version = "";
  readonly #diagnostics: MissingNameDiagnostics;
  readonly #preparer: ResourcePreparer;
  readonly #feed: ChangeListeners<LinearCacheChange>;
  // A follower changes only through applyChange: its own updates would fork its history.
  #following = false;

  constructor(options: LinearCacheOptions) {
    const { typeUrl, versionPrefix, logger, validation } = resolveLinearCacheOptions(options);
    this.typeUrl = typeUrl;
    this.#prefix = versionPrefix;
    this.#logger = logger;
    this.#diagnostics = new MissingNameDiagnostics(logger, typeUrl);
    this.#preparer = new ResourcePreparer(typeUrl, options, validation, logger);
    this.#feed = new ChangeListeners(this.#logger, { typeUrl });
    for (const resource of this.#preparer.prepareAll(options.initialResources ?? [])) this.#store.put(resource, 0);
  }

  version(): string {
    // Read per delivery (hundreds per update): the string is made once per counter value.
    const counter = this.#store.counter;
    if (this.#versionAt !== counter) {
      this.#versionAt = counter;
      this.#version = this.#prefix + counter;
    }
    return this.#version;
  }

  updateResource(resource: ResourceInput): boolean {
    return this.updateResources([resource]);
  }

  deleteResource(name: string): boolean {
    return this.updateResources([], [name]);
  }

  updateResources(upserts: Iterable<ResourceInput>, deletes: Iterable<string> = []): boolean {
    this.#checkLeading("updateResources");
    const prepared = new Map<string, CachedResource>();
    for (const resource of this.#preparer.prepareAll(upserts)) prepared.set(resource.name, resource);
    const store = this.#store;
    const removed: string[] = [];
    for (const given of deletes) {
      const name = normalizeResourceName(given);
      if (store.has(name) && !prepared.has(name)) removed.push(name);
    }
    return this.#apply(prepared.values(), removed);
  }

  setResources(resources: Iterable<ResourceInput>): boolean {
    this.#checkLeading("setResources");
    const prepared = new Map<string, CachedResource>();
    for (const resource of this.#preparer.prepareAll(resources)) prepared.set(resource.name, resource);
    const removed: string[] = [];
    for (const name of this.#store.names()) if (!prepared.has(name)) removed.push(name);
    return this.#apply(prepared.values(), removed);
  }

  setResourceError(name: string, error: ResourceErrorDetail | undefined): boolean {
    this.#checkLeading("setResourceError");
    return this.#setError(name, error === undefined ? undefined : this.#preparer.errorReport(name, error));
  }

  #setError(name: string, report: ResourceErrorReport | undefined): boolean {
    const store = this.#store;
    const current = store.error(name);
    if (report?.code === current?.code && report?.message === current?.message) return false;
    // Seen only where an error is set for a name without a resource: only then a new version, and an answer.
    const seen = report !== undefined && !store.has(name);
    const at = seen ? store.bump() : store.counter;
    store.setError(name, report, at);
    if (this.#feed.listening) this.#feed.emit({ kind: "error", counter: at, name, error: report });
    if (!seen) return false;
    const answered = this.#notify([name], new Set([name]));
    this.#logger.debug("linear cache error set", { typeUrl: this.typeUrl, version: this.version(), name, code: report.code, answered });
    return true;
  }

  getResourceErrors(): Map<string, ResourceErrorReport> {
    return new Map(this.#store.errors());
  }

  getResource(name: string): CachedResource | undefined {
    return this.#store.get(normalizeResourceName(name));
  }

  getResources(): Map<string, CachedResource> {
    return this.#store.snapshot();
  }

  resourceCount(): number {
    return this.#store.size;
  }

  sotwWatchCount(): number {
    return this.#sotw.size;
  }

  deltaWatchCount(): number {
    return this.#delta.open;
  }

  watchCountFor(name: string): number {
    const canonical = normalizeResourceName(name);
    return this.#sotw.countFor(canonical) + this.#delta.index.countFor(canonical, (reg) => reg.watch !== undefined);
  }

  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel {
    this.#checkType(request.typeUrl);
    const keys = watchKeysOf(subscription);
    const watch: SotwWatch = {
      request,
      subscription,
      keys,
      exact: new Set(keys.names),
      clientVersion: parseVersion(request.versionInfo, this.#prefix, this.#store.counter),
      respond,
      open: true,
    };
    this.#diagnostics.check(request.node, keys.names, this.#store, this.version());
    if (sotwNeedsAnswer(this.#store, watch)) {
      watch.open = false;
      this.#deliver(watch, sotwResponse(this.#store, watch, this.version()));
      return noop;
    }
    this.#sotw.add(watch);
    return () => this.#closeSotw(watch);
  }

  createDeltaWatch(request: DeltaDiscoveryRequest, subscription: Subscription, respond: (response: DeltaResponse) => void): Cancel {
    this.#checkType(request.typeUrl);
    const watch: DeltaWatch = { request, subscription, respond, open: true };
    const registrations = this.#delta;
    let reg = registrations.reusable(subscription);
    let diff: DeltaDiff;
    if (reg !== undefined) {
      // Same names as the last watch: only what changed since, or was in the last answer, can differ.
      diff = deltaDiffOf(this.#store, reg, subscription.returnedResources(), reg.stale);
    } else {
      reg = registrations.register(subscription);
      this.#diagnostics.check(request.node, reg.keys.names, this.#store, this.version());
      diff = deltaDiffAll(this.#store, reg, subscription);
    }
    reg.stale.clear();
    reg.attached++;
    // A wildcard stream's first answer is sent even when empty, so the client learns its initial state; never again.
    if (!isEmptyDiff(diff) || (reg.keys.wildcard && !subscription.answered())) {
      watch.open = false;
      this.#answerDelta(reg, watch, diff);
      const answered = reg;
      return () => registrations.release(answered);
    }
    registrations.hold(reg, watch);
    const pending = reg;
    return () => registrations.cancel(pending, watch);
  }

  async fetch(request: DiscoveryRequest): Promise<FetchResult> {
    this.#checkType(request.typeUrl);
    const version = this.version();
    if (request.versionInfo === version) return { kind: "not-modified", request, version };
    const keys = keysOfNames(request.resourceNames.length === 0, request.resourceNames.map(normalizeResourceName));
    if (!keys.wildcard) this.#diagnostics.check(request.node, keys.names, this.#store, version);
    const resources = this.#store.covered(keys);
    const errors = keys.wildcard ? [] : errorsOf(this.#store, new Set(keys.names));
    const response: SotwResponse = { request, typeUrl: request.typeUrl, version, resources, heartbeat: false };
    return { kind: "response", response: errors.length === 0 ? response : { ...response, errors } };
  }

  feedState(): LinearCacheState {
    return linearCacheStateOf(this.#store, this.typeUrl, this.#prefix);
  }

  onChange(listener: (change: LinearCacheChange) => void): Cancel {
    return this.#feed.add(listener);
  }

  /** Starts a follower from `state` (see followLinearCache). */
  follow(state: LinearCacheState): void {
    this.#following = true;
    const store = this.#store;
    store.startAt(state.counter);
    for (const resource of state.resources) store.put(this.#preparer.raw(resource), resource.changedAt);
    for (const { report, setAt } of state.errors) store.setError(report.name, report, setAt);
  }

  applyChange(change: LinearCacheChange): void {
    const store = this.#store;
    const before = store.counter;
    if (change.kind === "resources") {
      if (change.counter !== before + 1) throw outOfOrderError(this.typeUrl, change.counter, before + 1);
      const upserts = change.upserts.map((data) => this.#preparer.raw(data));
      this.#apply(upserts, change.deletes.filter((name) => store.has(name)));
    } else {
      this.#setError(change.name, change.error);
    }
    if (store.counter !== change.counter) throw outOfOrderError(this.typeUrl, change.counter, store.counter);
  }

  #checkLeading(method: string): void {
    if (this.#following) throw notLeadingError(method, this.typeUrl);
  }

  #checkType(typeUrl: string): void {
    if (typeUrl !== this.typeUrl) throw wrongTypeError(typeUrl, this.typeUrl);
  }

  #apply(upserts: Iterable<CachedResource>, removed: readonly string[]): boolean {
    const store = this.#store;
    const changed: CachedResource[] = [];
    for (const resource of upserts) {
      const current = store.get(resource.name);
      // Same content and TTL: nothing to tell anyone.
      if (current !== undefined && current.hash === resource.hash && current.ttlMs === resource.ttlMs) continue;
      changed.push(resource);
    }
    if (changed.length === 0 && removed.length === 0) return false;
    const at = store.bump();
    const names: string[] = [];
    for (const name of removed) {
      store.remove(name);
      names.push(name);
    }
    for (const resource of changed) {
      store.put(resource, at);
      // A new version supersedes the error of the one before.
      store.setError(resource.name, undefined, at);
      names.push(resource.name);
    }
    if (this.#feed.listening) this.#feed.emit({ kind: "resources", counter: at, upserts: changed.map(resourceDataOf), deletes: removed });
    const answered = this.#notify(names);
    this.#logger.debug("linear cache updated", {
      typeUrl: this.typeUrl,
      version: this.version(),
      changed: changed.length,
      removed: removed.length,
      answered,
    });
    return true;
  }

  // Versions are read per delivery: a callback may itself update the cache. `errorsSet`: the names
  // of `names` whose error was set (they have no resource).
  #notify(names: readonly string[], errorsSet?: ReadonlySet<string>): number {
    const store = this.#store;
    let answered = 0;
    for (const [watch, covered] of this.#sotw.affected(names)) {
      if (!watch.open || !sotwAnswerableAfter(store, watch, covered)) continue;
      this.#closeSotw(watch);
      this.#deliver(watch, sotwResponse(store, watch, this.version()));
      answered++;
    }
    const registrations = this.#delta;
    for (const [reg, covered] of registrations.index.affected(names)) {
      if (errorsSet !== undefined && !reg.keys.wildcard) {
        for (const name of covered) if (errorsSet.has(name) && reg.exact.has(name)) reg.errorsDue.add(name);
      }
      const watch = reg.watch;
      if (watch === undefined) {
        // Between watches: the next watch of the subscription diffs these.
        for (const name of covered) reg.stale.add(name);
        continue;
      }
      const diff = deltaDiffOf(store, reg, watch.subscription.returnedResources(), covered);
      if (isEmptyDiff(diff)) continue;
      registrations.answered(reg, watch);
      this.#answerDelta(reg, watch, diff);
      answered++;
    }
    return answered;
  }

  // Sends a delta answer; its names stay stale until the next watch shows the server recorded it.
  #answerDelta(reg: DeltaRegistration, watch: DeltaWatch, diff: DeltaDiff): void {
    for (const resource of diff.resources) reg.stale.add(resource.name);
    for (const name of diff.removed) reg.stale.add(name);
    this.#deliver(watch, deltaResponse(watch, diff, this.version()));
  }

  #closeSotw(watch: SotwWatch): void {
    if (!watch.open) return;
    watch.open = false;
    this.#sotw.remove(watch);
  }

  #deliver<R>(watch: { readonly respond: (response: R) => void }, response: R): void {
    try {
      watch.respond(response);
    } catch (error) {
      // One broken stream must not keep the other watchers of this update from their answers.
      this.#logger.error("a watch callback threw", { typeUrl: this.typeUrl, error });
    }
  }
}

const noop: Cancel = () => {};

/**
 * A linear cache for one type URL.
 *
 * @throws {LinearCacheError} when neither `typeUrl` nor `schema` is given, or
 *   an initial resource is of another type.
 */
export function createLinearCache(options: LinearCacheOptions): LinearCache {
  return new LinearCacheImpl(options);
}

/**
 * A follower of a linear cache's change feed, in another process for
 * example: starts from `state` (the leading cache's
 * {@link @xdskit/cache-core#ChangeFeed.feedState}) and applies every later change given to
 * {@link @xdskit/cache-core#ChangeFollower.applyChange} in order, from the
 * marshalled bytes (nothing is re-marshalled). Its resources, hashes and
 * versions are the leading cache's; its watches are its own.
 */
export function followLinearCache(state: LinearCacheState, options: FollowLinearCacheOptions = {}): LinearCacheFollower {
  const cache = new LinearCacheImpl({
    typeUrl: state.typeUrl,
    versionPrefix: state.versionPrefix,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  cache.follow(state);
  return cache;
}
