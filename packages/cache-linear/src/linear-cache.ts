import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import {
  CacheError,
  type CachedResource,
  type Cache,
  type Cancel,
  type ChangeFeed,
  type ChangeFollower,
  type DeltaResponse,
  type FetchResult,
  type Logger,
  normalizeResourceName,
  prepareRawResource,
  prepareResource,
  type ResourceErrorDetail,
  type ResourceErrorReport,
  resourceErrorReport,
  type ResourceTypeRegistry,
  type SotwResponse,
  type Subscription,
  silentLogger,
  typeUrlOf,
} from "@xdskit/cache-core";
import { enforceValidation, type ResolvedValidationPolicy, resolveValidationPolicy, type ValidationPolicy } from "@xdskit/validate/policy";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type DeltaDiff, type DeltaRegistration, type DeltaWatch, deltaDiffAll, deltaDiffOf, deltaResponse, isEmptyDiff } from "./delta-watch.js";
import { LinearCacheError } from "./linear-cache-error.js";
import type { LinearCacheChange, LinearCacheResourceData, LinearCacheState } from "./linear-cache-feed.js";
import { MissingNameDiagnostics } from "./missing-name-diagnostics.js";
import { ResourceStore } from "./resource-store.js";
import { errorsOf, parseVersion, type SotwWatch, sotwAnswerableAfter, sotwNeedsAnswer, sotwResponse } from "./sotw-watch.js";
import { WatchesByName } from "./watches-by-name.js";
import { keysOfNames, watchKeysOf } from "./watch-keys.js";

/**
 * A resource handed to the cache: a {@link @xdskit/cache-core#CachedResource} (from
 * `prepareResource`), or a message of the cache's schema, which the cache
 * prepares (name derived, marshalled and hashed once).
 */
export type ResourceInput = CachedResource | Message;

/** Options of {@link createLinearCache}. Give `typeUrl`, `schema`, or both. */
export interface LinearCacheOptions {
  /** The one type URL the cache serves. Default: the type URL of `schema`. */
  readonly typeUrl?: string | undefined;
  /**
   * The message schema, needed only to accept plain messages (rather than
   * `CachedResource`s) in updates. Default: none.
   */
  readonly schema?: DescMessage | undefined;
  /** Prepended to the counter to make `version_info` strings: `${versionPrefix}${n}`. Default: `""`. */
  readonly versionPrefix?: string | undefined;
  /** Resources the cache starts with, at version `${versionPrefix}0`. Default: none. */
  readonly initialResources?: Iterable<ResourceInput> | undefined;
  /** Where custom types' `nameOf` is found when preparing messages. Default: the built-in types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Canonicalizes `Any` contents when marshalling messages. Default: none. */
  readonly registry?: Registry | undefined;
  /**
   * Where the cache says, once per node and set of names, which names a node
   * subscribes to that it does not hold (for endpoints: the clusters that
   * wait on them), at info; plus debug lines per update. See the README for
   * the exact messages. Default: silent.
   */
  readonly logger?: Logger | undefined;
  /**
   * Validates every resource before it is served (`@xdskit/validate`): a
   * `Validator` refuses an update holding an invalid resource (the update
   * throws a `ValidationError` listing every violation of every resource and
   * changes nothing); `{ validator, mode: "warn" }` logs the violations and
   * applies the update. Default: none.
   */
  readonly validate?: ValidationPolicy | undefined;
}

/**
 * An eventually consistent cache of one resource type, shared by every node:
 * one linear version history (a counter), per-resource versions (content
 * hashes) for delta, SotW and delta watches, and fetch. Meant for high-churn
 * types such as EDS, behind a mux beside a snapshot cache.
 *
 * Updates are synchronous: watches they answer are called back before the
 * update returns. An update whose resources all have the same content (and
 * TTL) as the cached ones changes nothing: no new version, no callback.
 *
 * Names may be `xdstp://` federation names: they are matched in their
 * canonical spelling (`normalizeResourceName`), and a subscribed
 * `xdstp://…/*` glob covers its collection (xRFC TP1, see `xdstpCollectionOf`);
 * any other subscribed name ending in `/*` covers every name under that prefix.
 */
export interface LinearCache extends Cache, ChangeFeed<LinearCacheState, LinearCacheChange> {
  /** The type URL served. */
  readonly typeUrl: string;
  /** The current `version_info`: `${versionPrefix}${counter}`. */
  version(): string;
  /** Adds or replaces one resource. Returns whether anything changed (and so a new version). */
  updateResource(resource: ResourceInput): boolean;
  /** Removes one resource; a name that does not exist is ignored. Returns whether anything changed. */
  deleteResource(name: string): boolean;
  /**
   * Upserts and deletes as one version step. Deletes apply first, so a name
   * in both ends up upserted; duplicate upserts: the last wins. Every input is
   * prepared before the cache changes, so a bad one leaves the cache as it was.
   */
  updateResources(upserts: Iterable<ResourceInput>, deletes?: Iterable<string>): boolean;
  /** Replaces every resource, as one version step that carries only what changed. */
  setResources(resources: Iterable<ResourceInput>): boolean;
  /**
   * Says why `name` is not served (xRFC TP3 `resource_errors`), or with
   * `undefined` takes that back: for a name that does not exist (NOT_FOUND),
   * or whose new version failed validation (INVALID_ARGUMENT), fed for
   * example from `@xdskit/validate` results. Subscriptions that name it get
   * the error: SotW in the next answer (the name is left out of the
   * resources, as before), delta with the name in `removed_resources` (as
   * before) and the error beside it. A name that has a resource is served
   * and its error is kept but not sent (a response never names a resource
   * both ways): keep the last good version to keep serving it. Updating the
   * resource clears its error. Returns whether clients see a change (and so
   * a new version): setting the same error again, or an error for a name
   * with a resource, does not.
   *
   * @throws {LinearCacheError} `invalid-resource` for a code that is not a
   *   `google.rpc.Code` from 1 to 16, naming the resource and field.
   */
  setResourceError(name: string, error: ResourceErrorDetail | undefined): boolean;
  /** A copy of name → error, every error set (also those of names that have a resource). */
  getResourceErrors(): Map<string, ResourceErrorReport>;
  /** One resource, or `undefined`. */
  getResource(name: string): CachedResource | undefined;
  /** A copy of name → resource. */
  getResources(): Map<string, CachedResource>;
  /** How many resources the cache holds. */
  resourceCount(): number;
  /** Open (pending) SotW watches. */
  sotwWatchCount(): number;
  /** Open (pending) delta watches. */
  deltaWatchCount(): number;
  /** Open watches (SotW and delta) that would be told about `name`: exact, glob and wildcard ones. */
  watchCountFor(name: string): number;
}

/**
 * A linear cache that follows another one's change feed (see
 * {@link followLinearCache}): it serves what the leading cache serves, and
 * changes only through {@link @xdskit/cache-core#ChangeFollower.applyChange}.
 */
export interface LinearCacheFollower extends LinearCache, ChangeFollower<LinearCacheChange> {}

/** Options of {@link followLinearCache}. */
export interface FollowLinearCacheOptions {
  /** As {@link LinearCacheOptions.logger}. Default: silent. */
  readonly logger?: Logger | undefined;
}

function isCachedResource(input: ResourceInput): input is CachedResource {
  const candidate = input as Partial<CachedResource>;
  return typeof candidate.typeUrl === "string" && typeof candidate.name === "string" && typeof candidate.withTtl === "function";
}

class LinearCacheImpl implements LinearCacheFollower {
  readonly typeUrl: string;
  readonly #prefix: string;
  readonly #schema: DescMessage | undefined;
  readonly #types: ResourceTypeRegistry | undefined;
  readonly #registry: Registry | undefined;
  readonly #logger: Logger;
  readonly #store = new ResourceStore();
  readonly #sotw = new WatchesByName<SotwWatch>();
  readonly #delta = new WatchesByName<DeltaRegistration>();
  // The registration of each delta subscription (see DeltaRegistration), kept across its watches.
  readonly #registrations = new WeakMap<Subscription, DeltaRegistration>();
  // A server that never cancels an answered watch would otherwise leave its registration
  // indexed after the stream is gone; once the subscription is collected, it is removed.
  readonly #orphans = new FinalizationRegistry<DeltaRegistration>((reg) => this.#unregister(reg));
  #deltaOpen = 0;
  #versionAt = -1;
  #version = "";
  // Released registrations (answered or cancelled watches) to look at once the current job ends, with their `attached` then.
  #releasing = new Map<DeltaRegistration, number>();
  readonly #diagnostics: MissingNameDiagnostics;
  readonly #validation: ResolvedValidationPolicy | undefined;
  readonly #listeners = new Set<(change: LinearCacheChange) => void>();
  // A follower changes only through applyChange: its own updates would fork its history.
  #following = false;

  constructor(options: LinearCacheOptions) {
    const typeUrl = options.typeUrl ?? (options.schema === undefined ? undefined : typeUrlOf(options.schema));
    if (typeUrl === undefined || typeUrl === "") {
      throw new LinearCacheError("unknown-type", "a linear cache needs a type URL: pass typeUrl or schema", { servedTypeUrl: "", field: "typeUrl" });
    }
    this.typeUrl = typeUrl;
    this.#prefix = options.versionPrefix ?? "";
    this.#schema = options.schema;
    this.#types = options.types;
    this.#registry = options.registry;
    this.#logger = options.logger ?? silentLogger;
    this.#diagnostics = new MissingNameDiagnostics(this.#logger, typeUrl);
    this.#validation = resolveValidationPolicy(options.validate);
    for (const resource of this.#prepareAll(options.initialResources ?? [])) this.#store.put(resource, 0);
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
    for (const resource of this.#prepareAll(upserts)) prepared.set(resource.name, resource);
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
    for (const resource of this.#prepareAll(resources)) prepared.set(resource.name, resource);
    const removed: string[] = [];
    for (const name of this.#store.names()) if (!prepared.has(name)) removed.push(name);
    return this.#apply(prepared.values(), removed);
  }

  setResourceError(name: string, error: ResourceErrorDetail | undefined): boolean {
    this.#checkLeading("setResourceError");
    return this.#setError(name, error === undefined ? undefined : this.#errorReport(name, error));
  }

  #setError(name: string, report: ResourceErrorReport | undefined): boolean {
    const store = this.#store;
    const current = store.error(name);
    if (report?.code === current?.code && report?.message === current?.message) return false;
    // Seen only where the name has no resource: only then a new version, and an answer.
    if (store.has(name)) {
      store.setError(name, report, store.counter);
      this.#emit({ kind: "error", counter: store.counter, name, error: report });
      return false;
    }
    const at = report === undefined ? store.counter : store.bump();
    store.setError(name, report, at);
    this.#emit({ kind: "error", counter: store.counter, name, error: report });
    if (report === undefined) return false;
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
    return this.#deltaOpen;
  }

  watchCountFor(name: string): number {
    const canonical = normalizeResourceName(name);
    return this.#sotw.countFor(canonical) + this.#delta.countFor(canonical, (reg) => reg.watch !== undefined);
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
    return () => this.#close(this.#sotw, watch);
  }

  createDeltaWatch(request: DeltaDiscoveryRequest, subscription: Subscription, respond: (response: DeltaResponse) => void): Cancel {
    this.#checkType(request.typeUrl);
    const watch: DeltaWatch = { request, subscription, respond, open: true };
    let reg = this.#registrations.get(subscription);
    let diff: DeltaDiff;
    if (reg !== undefined && reg.registered && reg.watch === undefined && reg.revision === subscription.namesRevision()) {
      // Same names as the last watch: only what changed since, or was in the last answer, can differ.
      diff = deltaDiffOf(this.#store, reg, subscription.returnedResources(), reg.stale);
    } else {
      if (reg !== undefined && reg.watch === undefined) this.#unregister(reg);
      reg = this.#register(subscription);
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
      return () => this.#release(answered);
    }
    reg.watch = watch;
    this.#deltaOpen++;
    const pending = reg;
    return () => this.#cancelDelta(pending, watch);
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
    const store = this.#store;
    const resources = [];
    for (const name of store.names()) {
      const resource = store.get(name);
      if (resource !== undefined) resources.push({ ...dataOf(resource), changedAt: store.changedAt(name) });
    }
    const errors = [...store.errors().entries()].map(([name, report]) => ({ report, setAt: store.errorSetAt(name) }));
    return { typeUrl: this.typeUrl, versionPrefix: this.#prefix, counter: store.counter, resources, errors };
  }

  onChange(listener: (change: LinearCacheChange) => void): Cancel {
    // A wrapper per call, so the same function added twice is called twice and removed once per cancel.
    const wrapped = (change: LinearCacheChange): void => listener(change);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Starts a follower from `state` (see followLinearCache). */
  follow(state: LinearCacheState): void {
    this.#following = true;
    const store = this.#store;
    store.startAt(state.counter);
    for (const resource of state.resources) store.put(this.#rawOf(resource), resource.changedAt);
    for (const { report, setAt } of state.errors) store.setError(report.name, report, setAt);
  }

  applyChange(change: LinearCacheChange): void {
    const store = this.#store;
    const before = store.counter;
    if (change.kind === "resources") {
      if (change.counter !== before + 1) this.#outOfOrder(change.counter, before + 1);
      const upserts = change.upserts.map((data) => this.#rawOf(data));
      this.#apply(upserts, change.deletes.filter((name) => store.has(name)));
    } else {
      this.#setError(change.name, change.error);
    }
    if (store.counter !== change.counter) this.#outOfOrder(change.counter, store.counter);
  }

  #rawOf(data: LinearCacheResourceData): CachedResource {
    const resource = prepareRawResource({ typeUrl: this.typeUrl, name: data.name, bytes: data.bytes, ttlMs: data.ttlMs });
    void resource.hash;
    return resource;
  }

  #outOfOrder(given: number, expected: number): never {
    throw new LinearCacheError(
      "invalid-options",
      `the linear cache of "${this.typeUrl}" follows a feed at counter ${expected}, but was given a change at ${given}: a change was lost or applied twice (field "counter")`,
      { typeUrl: this.typeUrl, servedTypeUrl: this.typeUrl, field: "counter" },
    );
  }

  #checkLeading(method: string): void {
    if (!this.#following) return;
    throw new LinearCacheError(
      "invalid-options",
      `${method} was called on a follower of the linear cache of "${this.typeUrl}": a follower changes only through applyChange`,
      { typeUrl: this.typeUrl, servedTypeUrl: this.typeUrl, field: method },
    );
  }

  #emit(change: LinearCacheChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error("a change listener threw", { typeUrl: this.typeUrl, error });
      }
    }
  }

  #checkType(typeUrl: string): void {
    if (typeUrl !== this.typeUrl) {
      throw new LinearCacheError(
        "unknown-type",
        `this linear cache serves "${this.typeUrl}", not "${typeUrl}" (field "type_url")`,
        { typeUrl, servedTypeUrl: this.typeUrl, field: "type_url" },
      );
    }
  }

  #prepareAll(inputs: Iterable<ResourceInput>): CachedResource[] {
    const out: CachedResource[] = [];
    for (const input of inputs) {
      const resource = this.#prepare(input);
      // Marshal and hash here, once per update, whatever the number of watchers.
      void resource.hash;
      out.push(resource);
    }
    if (this.#validation !== undefined) this.#validate(out, this.#validation);
    return out;
  }

  // Every resource of an update, before any of it is applied: one error names them all.
  #validate(resources: readonly CachedResource[], { validator, mode }: ResolvedValidationPolicy): void {
    const violations = resources.flatMap(
      (resource) => validator.validateResource(this.typeUrl, resource.name, resource.message ?? resource.bytes).violations,
    );
    const names = resources.length === 1 ? `resource "${resources[0]?.name}"` : `an update of ${resources.length} resources`;
    enforceValidation({ ok: violations.length === 0, violations }, mode, this.#logger, `${names} of "${this.typeUrl}"`);
  }

  #errorReport(name: string, error: ResourceErrorDetail): ResourceErrorReport {
    try {
      return resourceErrorReport(this.typeUrl, name, error);
    } catch (cause) {
      if (!(cause instanceof CacheError)) throw cause;
      throw new LinearCacheError(cause.code, cause.message, {
        typeUrl: this.typeUrl,
        servedTypeUrl: this.typeUrl,
        resourceName: name,
        field: cause.field,
        cause,
      });
    }
  }

  #prepare(input: ResourceInput): CachedResource {
    if (isCachedResource(input)) {
      if (input.typeUrl !== this.typeUrl) {
        throw new LinearCacheError(
          "type-mismatch",
          `resource "${input.name}" has type "${input.typeUrl}" but this linear cache serves "${this.typeUrl}"`,
          { typeUrl: input.typeUrl, resourceName: input.name, servedTypeUrl: this.typeUrl },
        );
      }
      return input;
    }
    const schema = this.#schema;
    if (schema === undefined) {
      throw new LinearCacheError(
        "invalid-resource",
        `a ${input.$typeName} message was given to the linear cache of "${this.typeUrl}", which has no schema: pass a CachedResource or create the cache with a schema`,
        { typeUrl: this.typeUrl, servedTypeUrl: this.typeUrl, field: "schema" },
      );
    }
    return prepareResource(schema, input, {
      typeUrl: this.typeUrl,
      ...(this.#types === undefined ? {} : { types: this.#types }),
      ...(this.#registry === undefined ? {} : { registry: this.#registry }),
    });
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
    if (this.#listeners.size > 0) this.#emit({ kind: "resources", counter: at, upserts: changed.map(dataOf), deletes: removed });
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
      this.#close(this.#sotw, watch);
      this.#deliver(watch, sotwResponse(store, watch, this.version()));
      answered++;
    }
    for (const [reg, covered] of this.#delta.affected(names)) {
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
      reg.watch = undefined;
      watch.open = false;
      this.#deltaOpen--;
      this.#answerDelta(reg, watch, diff);
      answered++;
    }
    return answered;
  }

  #register(subscription: Subscription): DeltaRegistration {
    const keys = watchKeysOf(subscription);
    const reg: DeltaRegistration = {
      keys,
      exact: new Set(keys.names),
      revision: subscription.namesRevision(),
      watch: undefined,
      stale: new Set(),
      errorsDue: new Set(),
      attached: 0,
      registered: true,
    };
    this.#delta.add(reg);
    this.#registrations.set(subscription, reg);
    this.#orphans.register(subscription, reg, reg);
    return reg;
  }

  #unregister(reg: DeltaRegistration): void {
    if (!reg.registered) return;
    reg.registered = false;
    this.#delta.remove(reg);
    this.#orphans.unregister(reg);
  }

  // Sends a delta answer; its names stay stale until the next watch shows the server recorded it.
  #answerDelta(reg: DeltaRegistration, watch: DeltaWatch, diff: DeltaDiff): void {
    for (const resource of diff.resources) reg.stale.add(resource.name);
    for (const name of diff.removed) reg.stale.add(name);
    this.#deliver(watch, deltaResponse(watch, diff, this.version()));
  }

  #cancelDelta(reg: DeltaRegistration, watch: DeltaWatch): void {
    if (watch.open) {
      watch.open = false;
      if (reg.watch === watch) {
        reg.watch = undefined;
        this.#deltaOpen--;
      }
    }
    this.#release(reg);
  }

  // A cancelled or answered watch: the server either watches the subscription again at once
  // (it replaces the watch: cancel, then create, in one go) or the stream ended. Decide after
  // the current job, so that a replacement keeps the registration and an ended stream frees it.
  // One microtask for every release of the job (an update's answers are re-watched by hundreds of ACKs).
  #release(reg: DeltaRegistration): void {
    if (!reg.registered || reg.watch !== undefined) return;
    const releasing = this.#releasing;
    if (releasing.size === 0) queueMicrotask(this.#unregisterReleased);
    releasing.set(reg, reg.attached);
  }

  readonly #unregisterReleased = (): void => {
    const releasing = this.#releasing;
    this.#releasing = new Map();
    for (const [reg, attached] of releasing) if (reg.watch === undefined && reg.attached === attached) this.#unregister(reg);
  };

  #close(index: WatchesByName<SotwWatch>, watch: SotwWatch): void {
    if (!watch.open) return;
    watch.open = false;
    index.remove(watch);
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

function dataOf(resource: CachedResource): LinearCacheResourceData {
  return { name: resource.name, bytes: resource.bytes, ttlMs: resource.ttlMs };
}

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
