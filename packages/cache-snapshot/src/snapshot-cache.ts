import {
  compareTypeUrls,
  defaultResourceTypes,
  isXdstpGlob,
  nodeIdHash,
  normalizeResourceName,
  silentLogger,
  WILDCARD_RESOURCE_NAME,
  type Cache,
  type CachedResource,
  type Cancel,
  type ChangeFeed,
  type ChangeFollower,
  type DeltaResponse,
  type FetchResult,
  type Logger,
  type NodeHash,
  type ResourceTypeRegistry,
  type SotwResponse,
  type Subscription,
} from "@xdskit/cache-core";
import { enforceValidation, type ResolvedValidationPolicy, resolveValidationPolicy, type ValidationPolicy } from "@xdskit/validate/policy";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { answerDelta } from "./delta-answer.js";
import { NodeDiagnostics } from "./node-diagnostics.js";
import { NodeStatus, type DeltaWatch, type SotwWatch, type StatusInfo } from "./node-status.js";
import { internalSnapshot, type Snapshot, type VersionedSnapshot } from "./snapshot.js";
import { SnapshotError } from "./snapshot-error.js";
import { FollowedSnapshots, type SnapshotCacheChange, type SnapshotCacheState, SnapshotDataCache } from "./snapshot-cache-feed.js";
import { answerHeartbeat, answerSotw } from "./sotw-answer.js";
import type { TypeResources } from "./type-resources.js";

/** Options of {@link createSnapshotCache}. */
export interface SnapshotCacheOptions {
  /**
   * ADS mode: hold a SotW response for named resources until every name
   * exists in the snapshot, so an aggregated stream receives each update
   * whole. Default: false.
   */
  readonly ads?: boolean | undefined;
  /** Maps a request's node to the key snapshots are set under. Default: `nodeIdHash` (the node id). */
  readonly nodeHash?: NodeHash | undefined;
  /**
   * Where the cache says why a node's requests wait, once per node key: no
   * snapshot for its key (warn), names it asks for that its snapshot does not
   * hold (info), a type its snapshot has no version for (info); plus debug
   * lines per snapshot set. See the README for the exact messages. Default: silent.
   */
  readonly logger?: Logger | undefined;
  /**
   * Send heartbeats for resources with a TTL every this many milliseconds
   * (see {@link SnapshotCache.close}). Default: none.
   */
  readonly heartbeatIntervalMs?: number | undefined;
  /**
   * The types requests may name before the node has a snapshot (afterwards
   * the snapshot's own types are accepted too). Register custom types here to
   * accept their watches early. Default: the built-in Envoy types.
   */
  readonly types?: ResourceTypeRegistry | undefined;
  /**
   * Validates every snapshot before it is served (`@xdskit/validate`; the
   * validator's `references` option says which types another cache serves):
   * a `Validator` refuses an invalid snapshot (`setSnapshot` throws a
   * `ValidationError` listing every violation, and the node keeps its last
   * good snapshot); `{ validator, mode: "warn" }` logs the violations and
   * serves it. A snapshot is validated once, however many nodes it is set for.
   * Default: none.
   */
  readonly validate?: ValidationPolicy | undefined;
}

/**
 * A cache of one {@link Snapshot} per node key, serving SotW and delta
 * watches and fetches from it. Setting a snapshot answers every open watch
 * of that node the snapshot makes answerable, in ADS response order.
 */
export interface SnapshotCache extends Cache, ChangeFeed<SnapshotCacheState, SnapshotCacheChange> {
  /**
   * Makes `snapshot` what the node key sees and answers its open watches
   * that are behind: State-of-the-World and delta, in ADS response order by
   * type (clusters before endpoints before listeners before routes), in the
   * order they were opened within a type. Other nodes are not touched.
   *
   * @returns how many watches were answered.
   * @throws {SnapshotError} `invalid-snapshot` for a snapshot `createSnapshot` did not make.
   * @throws {ValidationError} (code `invalid-resource`) when `validate` refuses the snapshot;
   *   the node keeps the snapshot it had.
   */
  setSnapshot(node: string, snapshot: Snapshot): number;
  /** The snapshot of a node key, if one is set. */
  getSnapshot(node: string): Snapshot | undefined;
  /**
   * Forgets a node key's snapshot. Its open watches stay open until a new
   * snapshot answers them; a node without open watches is forgotten entirely.
   */
  clearSnapshot(node: string): void;
  /** Watch counts and last request time of a node key, or `undefined` when it never made a request. */
  statusInfo(node: string): StatusInfo | undefined;
  /** Every node key that made a request and was not forgotten by {@link SnapshotCache.clearSnapshot}. */
  statusKeys(): string[];
  /** Stops heartbeats. The cache stays usable. */
  close(): void;
}

/**
 * A snapshot cache that follows another one's change feed (see
 * {@link followSnapshotCache}): it serves the leading cache's snapshots,
 * and changes only through {@link @xdskit/cache-core#ChangeFollower.applyChange}.
 */
export interface SnapshotCacheFollower extends SnapshotCache, ChangeFollower<SnapshotCacheChange> {}

/**
 * Options of {@link followSnapshotCache}: those of the leading cache that
 * shape answers (`ads`, `nodeHash`, `types`; functions do not cross
 * processes, so give the same ones), and this cache's own `logger` and
 * `heartbeatIntervalMs`. No `validate`: the leader validated the snapshots.
 */
export type FollowSnapshotCacheOptions = Omit<SnapshotCacheOptions, "validate">;

const noop: Cancel = () => {};

/**
 * Whether every SotW watch gets the same answer from `next` as from `previous`:
 * {@link answerSotw} looks only at the type's version and which names exist.
 */
function sameSotwAnswers(previous: TypeResources | undefined, next: TypeResources): boolean {
  if (previous === undefined) return false;
  if (previous === next) return true;
  if (previous.version !== next.version || previous.byName.size !== next.byName.size) return false;
  for (const name of next.byName.keys()) if (!previous.byName.has(name)) return false;
  return true;
}

type Due =
  | { readonly kind: "sotw"; readonly watch: SotwWatch; readonly response: SotwResponse }
  | { readonly kind: "delta"; readonly watch: DeltaWatch; readonly response: DeltaResponse };

class SnapshotCacheImpl implements SnapshotCacheFollower {
  readonly #ads: boolean;
  readonly #nodeHash: NodeHash;
  readonly #logger: Logger;
  readonly #types: ResourceTypeRegistry;
  readonly #snapshots = new Map<string, VersionedSnapshot>();
  readonly #statuses = new Map<string, NodeStatus>();
  readonly #diagnostics: NodeDiagnostics;
  readonly #validation: ResolvedValidationPolicy | undefined;
  // Snapshots already validated (one snapshot is often set for many nodes).
  readonly #validated = new WeakSet<Snapshot>();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #listeners = new Set<(change: SnapshotCacheChange) => void>();
  readonly #data = new SnapshotDataCache();
  // Set on a follower: it changes only through applyChange.
  #followed: FollowedSnapshots | undefined;

  constructor(options: SnapshotCacheOptions) {
    this.#ads = options.ads ?? false;
    this.#nodeHash = options.nodeHash ?? nodeIdHash;
    this.#logger = options.logger ?? silentLogger;
    this.#types = options.types ?? defaultResourceTypes;
    this.#diagnostics = new NodeDiagnostics(this.#logger);
    this.#validation = resolveValidationPolicy(options.validate);
    const interval = options.heartbeatIntervalMs;
    if (interval !== undefined) {
      if (!(Number.isFinite(interval) && interval > 0)) {
        throw new SnapshotError("invalid-options", `heartbeatIntervalMs must be a positive number of milliseconds, not ${interval}`, {
          field: "heartbeatIntervalMs",
        });
      }
      this.#timer = setInterval(() => this.#sendHeartbeats(), interval);
      // Heartbeats alone must not keep the process alive.
      this.#timer.unref();
    }
  }

  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel {
    const [status, snapshot] = this.#accept(request.typeUrl, request.node);
    const watch: SotwWatch = { typeUrl: request.typeUrl, request, subscription, respond, open: true };
    const resources = snapshot?.typeResources(request.typeUrl);
    this.#diagnose(status, snapshot, request.typeUrl, resources, subscription.resourceNames());
    if (resources !== undefined) {
      const picked = answerSotw(request.versionInfo, subscription, resources, this.#ads);
      if (picked !== undefined) {
        this.#deliverSotw(watch, sotwResponse(watch, resources, picked, false));
        return noop;
      }
    }
    status.sotw.add(watch);
    return () => {
      watch.open = false;
      status.sotw.delete(watch);
    };
  }

  createDeltaWatch(
    request: DeltaDiscoveryRequest,
    subscription: Subscription,
    respond: (response: DeltaResponse) => void,
  ): Cancel {
    const [status, snapshot] = this.#accept(request.typeUrl, request.node);
    const watch: DeltaWatch = { typeUrl: request.typeUrl, request, subscription, respond, open: true };
    const resources = snapshot?.typeResources(request.typeUrl);
    this.#diagnose(status, snapshot, request.typeUrl, resources, subscription.resourceNames());
    if (resources !== undefined) {
      const response = deltaResponse(watch, resources);
      if (response !== undefined) {
        this.#deliverDelta(watch, response);
        return noop;
      }
    }
    status.delta.add(watch);
    return () => {
      watch.open = false;
      status.delta.delete(watch);
    };
  }

  async fetch(request: DiscoveryRequest): Promise<FetchResult> {
    const [status, snapshot] = this.#accept(request.typeUrl, request.node);
    const resources = snapshot?.typeResources(request.typeUrl);
    const wildcard = request.resourceNames.length === 0 || request.resourceNames.includes(WILDCARD_RESOURCE_NAME);
    const names = wildcard ? [] : request.resourceNames.map(normalizeResourceName);
    this.#diagnose(status, snapshot, request.typeUrl, resources, names);
    // Nothing newer than what the client has: a REST poller keeps polling instead of seeing an error.
    if (resources === undefined || request.versionInfo === resources.version) {
      return { kind: "not-modified", request, version: resources?.version ?? request.versionInfo };
    }
    let picked: readonly CachedResource[] = resources.list;
    if (!wildcard) {
      const seen = new Set<string>();
      const list: CachedResource[] = [];
      for (const name of names) {
        const resource = resources.byName.get(name);
        for (const one of resource !== undefined ? [resource] : isXdstpGlob(name) ? resources.collection(name) : []) {
          if (seen.has(one.name)) continue;
          seen.add(one.name);
          list.push(one);
        }
      }
      picked = list;
    }
    const errors = resources.errorsFor(new Set(names), wildcard);
    return {
      kind: "response",
      response: { request, typeUrl: request.typeUrl, version: resources.version, resources: picked, heartbeat: false, ...(errors === undefined ? {} : { errors }) },
    };
  }

  setSnapshot(node: string, snapshot: Snapshot): number {
    this.#checkLeading("setSnapshot");
    return this.#set(node, snapshot);
  }

  #set(node: string, snapshot: Snapshot): number {
    const next = internalSnapshot(snapshot);
    if (this.#validation !== undefined) this.#validate(node, snapshot, this.#validation);
    const previous = this.#snapshots.get(node);
    this.#snapshots.set(node, next);
    if (this.#listeners.size > 0) this.#emit({ kind: "set", node, snapshot: this.#data.of(next) });
    const status = this.#statuses.get(node);
    if (status === undefined || status.idle) {
      this.#diagnostics.snapshotSet(node, 0);
      return 0;
    }

    // Decide every answer first, then respond: a server may open or cancel
    // watches from inside respond.
    const due: Due[] = [];
    const typeUrls = new Set([...status.sotw.typeUrls(), ...status.delta.typeUrls()]);
    for (const typeUrl of [...typeUrls].sort(compareTypeUrls)) {
      const resources = next.typeResources(typeUrl);
      if (resources === undefined) continue;
      // Every open SotW watch was already found unanswerable against the previous
      // snapshot (when it opened, or at the last setSnapshot), and its
      // subscription cannot have changed since (servers replace a watch on every
      // request). When this type keeps its version and its names, the answer is
      // the same: skip the watches instead of checking each subscribed name again
      // (1,000 streams × 1,000 EDS names on every cluster update otherwise).
      const sotwWatches = sameSotwAnswers(previous?.typeResources(typeUrl), resources) ? undefined : status.sotw.of(typeUrl);
      // An ADS watch held for names the new snapshot lacks says so here; every other
      // watch is checked when it opens (answered ones: on their client's next request;
      // delta ones left open have no name that changed).
      const diagnoseHeld = this.#ads && this.#diagnostics.enabled;
      for (const watch of sotwWatches ?? []) {
        const picked = answerSotw(watch.request.versionInfo, watch.subscription, resources, this.#ads);
        if (picked !== undefined) due.push({ kind: "sotw", watch, response: sotwResponse(watch, resources, picked, false) });
        else if (diagnoseHeld) this.#diagnostics.missingNames(node, status.node, watch.subscription.resourceNames(), resources);
      }
      for (const watch of status.delta.of(typeUrl) ?? []) {
        const response = deltaResponse(watch, resources);
        if (response !== undefined) due.push({ kind: "delta", watch, response });
      }
    }
    for (const item of due) {
      if (item.kind === "sotw") status.sotw.delete(item.watch);
      else status.delta.delete(item.watch);
    }
    let answered = 0;
    for (const item of due) {
      const sent = item.kind === "sotw" ? this.#deliverSotw(item.watch, item.response) : this.#deliverDelta(item.watch, item.response);
      if (sent) answered++;
    }
    this.#logger.debug("snapshot set", { node, answered, open: status.sotw.size + status.delta.size });
    this.#diagnostics.snapshotSet(node, answered);
    return answered;
  }

  getSnapshot(node: string): Snapshot | undefined {
    return this.#snapshots.get(node);
  }

  clearSnapshot(node: string): void {
    this.#checkLeading("clearSnapshot");
    this.#clear(node);
  }

  #clear(node: string): void {
    this.#snapshots.delete(node);
    this.#emit({ kind: "clear", node });
    this.#diagnostics.forget(node);
    if (this.#statuses.get(node)?.idle === true) this.#statuses.delete(node);
  }

  statusInfo(node: string): StatusInfo | undefined {
    return this.#statuses.get(node)?.info();
  }

  statusKeys(): string[] {
    return [...this.#statuses.keys()];
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  feedState(): SnapshotCacheState {
    return { snapshots: [...this.#snapshots].map(([node, snapshot]) => ({ node, snapshot: this.#data.of(snapshot) })) };
  }

  onChange(listener: (change: SnapshotCacheChange) => void): Cancel {
    // A wrapper per call, so the same function added twice is called twice and removed once per cancel.
    const wrapped = (change: SnapshotCacheChange): void => listener(change);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Starts a follower from `state` (see followSnapshotCache). */
  follow(state: SnapshotCacheState): void {
    const followed = new FollowedSnapshots(this.#types);
    this.#followed = followed;
    for (const { node, snapshot } of state.snapshots) this.#snapshots.set(node, internalSnapshot(followed.set(node, snapshot)));
  }

  applyChange(change: SnapshotCacheChange): void {
    const followed = this.#followed;
    if (followed === undefined) {
      throw new SnapshotError("invalid-options", "applyChange was called on a snapshot cache that is not a follower (made by followSnapshotCache)", {
        field: "applyChange",
      });
    }
    if (change.kind === "set") this.#set(change.node, followed.set(change.node, change.snapshot));
    else {
      followed.clear(change.node);
      this.#clear(change.node);
    }
  }

  #checkLeading(method: string): void {
    if (this.#followed === undefined) return;
    throw new SnapshotError("invalid-options", `${method} was called on a follower snapshot cache: a follower changes only through applyChange`, {
      field: method,
    });
  }

  #emit(change: SnapshotCacheChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error("a change listener threw", { error });
      }
    }
  }

  /** Validates a request and records it; throws before anything changes. */
  #accept(typeUrl: string, node: Node | undefined): [NodeStatus, VersionedSnapshot | undefined] {
    const key = this.#nodeHash(node);
    const snapshot = this.#snapshots.get(key);
    if (typeUrl === "") {
      throw new SnapshotError("unknown-type", "request has no type URL", { typeUrl, field: "type_url" });
    }
    if (this.#types.get(typeUrl) === undefined && snapshot?.knows(typeUrl) !== true) {
      throw new SnapshotError("unknown-type", `unknown resource type "${typeUrl}": not a registered type and not in the snapshot of node "${key}"`, {
        typeUrl,
        field: "type_url",
      });
    }
    let status = this.#statuses.get(key);
    if (status === undefined) {
      status = new NodeStatus(key);
      this.#statuses.set(key, status);
    }
    status.touch(node);
    return [status, snapshot];
  }

  /** Says (once per node key) why a request of the node may wait: no snapshot, an unserved type, or missing names. */
  #diagnose(
    status: NodeStatus,
    snapshot: VersionedSnapshot | undefined,
    typeUrl: string,
    resources: TypeResources | undefined,
    names: Iterable<string>,
  ): void {
    const diagnostics = this.#diagnostics;
    if (!diagnostics.enabled) return;
    if (snapshot === undefined) diagnostics.noSnapshot(status.key, status.node, typeUrl, this.#snapshots);
    else if (resources === undefined) diagnostics.unservedType(status.key, status.node, typeUrl);
    else diagnostics.missingNames(status.key, status.node, names, resources);
  }

  #validate(node: string, snapshot: Snapshot, { validator, mode }: ResolvedValidationPolicy): void {
    if (this.#validated.has(snapshot)) return;
    const byType: Record<string, Iterable<CachedResource>> = {};
    for (const typeUrl of snapshot.typeUrls()) byType[typeUrl] = snapshot.resources(typeUrl).values();
    enforceValidation(validator.validateSnapshot(byType), mode, this.#logger, `the snapshot set for node key "${node}"`);
    this.#validated.add(snapshot);
  }

  #sendHeartbeats(): void {
    for (const [node, status] of this.#statuses) {
      if (status.sotw.size === 0) continue;
      const snapshot = this.#snapshots.get(node);
      if (snapshot === undefined) continue;
      const due: [SotwWatch, SotwResponse][] = [];
      for (const typeUrl of [...status.sotw.typeUrls()].sort(compareTypeUrls)) {
        const resources = snapshot.typeResources(typeUrl);
        if (resources === undefined || resources.withTtl.length === 0) continue;
        for (const watch of status.sotw.of(typeUrl) ?? []) {
          const picked = answerHeartbeat(watch.request.versionInfo, watch.subscription, resources);
          if (picked !== undefined) due.push([watch, sotwResponse(watch, resources, picked, true)]);
        }
      }
      for (const [watch] of due) status.sotw.delete(watch);
      for (const [watch, response] of due) this.#deliverSotw(watch, response);
      if (due.length > 0) this.#logger.debug("heartbeats sent", { node, watches: due.length });
    }
  }

  #deliverSotw(watch: SotwWatch, response: SotwResponse): boolean {
    if (!watch.open) return false;
    watch.open = false;
    try {
      watch.respond(response);
    } catch (error) {
      this.#logger.error("a SotW watch's respond threw", { typeUrl: watch.typeUrl, error });
    }
    return true;
  }

  #deliverDelta(watch: DeltaWatch, response: DeltaResponse): boolean {
    if (!watch.open) return false;
    watch.open = false;
    try {
      watch.respond(response);
    } catch (error) {
      this.#logger.error("a delta watch's respond threw", { typeUrl: watch.typeUrl, error });
    }
    return true;
  }
}

function sotwResponse(watch: SotwWatch, resources: TypeResources, picked: readonly CachedResource[], heartbeat: boolean): SotwResponse {
  const response: SotwResponse = { request: watch.request, typeUrl: watch.typeUrl, version: resources.version, resources: picked, heartbeat };
  const errors = heartbeat ? undefined : resources.errorsFor(watch.subscription.resourceNames(), watch.subscription.isWildcard());
  return errors === undefined ? response : { ...response, errors };
}

function deltaResponse(watch: DeltaWatch, resources: TypeResources): DeltaResponse | undefined {
  const answer = answerDelta(watch.subscription, resources);
  if (answer === undefined) return undefined;
  return { request: watch.request, typeUrl: watch.typeUrl, systemVersion: resources.version, ...answer };
}

/**
 * A snapshot cache (see {@link SnapshotCache}). Each resource is marshalled
 * once, when its snapshot is built; responses share the snapshot's
 * `CachedResource`s, so answering a watch costs no encoding, and setting a
 * snapshot costs in proportion to the watches of that node it answers.
 *
 * @throws {SnapshotError} `invalid-options` for a heartbeat interval that is not a positive number.
 */
export function createSnapshotCache(options: SnapshotCacheOptions = {}): SnapshotCache {
  return new SnapshotCacheImpl(options);
}

/**
 * A follower of a snapshot cache's change feed, in another process for
 * example: starts from `state` (the leading cache's
 * {@link @xdskit/cache-core#ChangeFeed.feedState}) and applies every later change given to
 * {@link @xdskit/cache-core#ChangeFollower.applyChange} in order, rebuilding
 * each snapshot once from the marshalled bytes (nothing is re-marshalled, so
 * versions and hashes are the leader's). Its watches, statuses and
 * heartbeats are its own.
 *
 * @throws {SnapshotError} `invalid-options` for a heartbeat interval that is not a positive number.
 */
export function followSnapshotCache(state: SnapshotCacheState, options: FollowSnapshotCacheOptions = {}): SnapshotCacheFollower {
  const cache = new SnapshotCacheImpl(options);
  cache.follow(state);
  return cache;
}
