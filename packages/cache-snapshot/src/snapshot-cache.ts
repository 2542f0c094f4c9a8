import {
  compareTypeUrls,
  normalizeResourceName,
  WILDCARD_RESOURCE_NAME,
  type CachedResource,
  ChangeListeners,
  type Cancel,
  type DeltaResponse,
  type FetchResult,
  type Logger,
  type NodeHash,
  type ResourceTypeRegistry,
  type SotwResponse,
  type Subscription,
} from "@xdskit/cache-core";
import { enforceValidation, type ResolvedValidationPolicy } from "@xdskit/validate/policy";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { deltaResponse } from "./delta-answer.js";
import { NodeDiagnostics } from "./node-diagnostics.js";
import { NodeStatus, type DeltaWatch, type SotwWatch, type StatusInfo } from "./node-status.js";
import { internalSnapshot, type Snapshot, type VersionedSnapshot } from "./snapshot.js";
import { SnapshotError } from "./snapshot-error.js";
import { FollowedSnapshots, type SnapshotCacheChange, type SnapshotCacheState, SnapshotDataCache } from "./snapshot-cache-feed.js";
import {
  type FollowSnapshotCacheOptions,
  resolveSnapshotCacheOptions,
  type SnapshotCache,
  type SnapshotCacheFollower,
  type SnapshotCacheOptions,
} from "./snapshot-cache-api.js";
import { answerSotw, fetchPicked, sameSotwAnswers, sotwResponse } from "./sotw-answer.js";
import { sendHeartbeats, startHeartbeats } from "./ttl-heartbeats.js";
import type { TypeResources } from "./type-resources.js";
import { DELTA_THREW, deliver, SOTW_THREW } from "./watch-delivery.js";

export type { FollowSnapshotCacheOptions, SnapshotCache, SnapshotCacheFollower, SnapshotCacheOptions } from "./snapshot-cache-api.js";

const noop: Cancel = () => {};

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
  readonly #feed: ChangeListeners<SnapshotCacheChange>;
  readonly #data = new SnapshotDataCache();
  // Set on a follower: it changes only through applyChange.
  #followed: FollowedSnapshots | undefined;

  constructor(options: SnapshotCacheOptions) {
    const resolved = resolveSnapshotCacheOptions(options);
    this.#ads = resolved.ads;
    this.#nodeHash = resolved.nodeHash;
    this.#logger = resolved.logger;
    this.#types = resolved.types;
    this.#diagnostics = new NodeDiagnostics(this.#logger);
    this.#validation = resolved.validation;
    this.#feed = new ChangeListeners(this.#logger);
    this.#timer = startHeartbeats(options.heartbeatIntervalMs, () => sendHeartbeats(this.#statuses, this.#snapshots, this.#logger));
  }

  createWatch(request: DiscoveryRequest, subscription: Subscription, respond: (response: SotwResponse) => void): Cancel {
    const [status, snapshot] = this.#accept(request.typeUrl, request.node);
    const watch: SotwWatch = { typeUrl: request.typeUrl, request, subscription, respond, open: true };
    const resources = snapshot?.typeResources(request.typeUrl);
    this.#diagnose(status, snapshot, request.typeUrl, resources, subscription.resourceNames());
    if (resources !== undefined) {
      const picked = answerSotw(request.versionInfo, subscription, resources, this.#ads);
      if (picked !== undefined) {
        deliver(watch, sotwResponse(watch, resources, picked, false), this.#logger, SOTW_THREW);
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
        deliver(watch, response, this.#logger, DELTA_THREW);
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
    const picked: readonly CachedResource[] = wildcard ? resources.list : fetchPicked(resources, names);
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
    if (this.#feed.listening) this.#feed.emit({ kind: "set", node, snapshot: this.#data.of(next) });
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
      const sent =
        item.kind === "sotw" ? deliver(item.watch, item.response, this.#logger, SOTW_THREW) : deliver(item.watch, item.response, this.#logger, DELTA_THREW);
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
    if (this.#feed.listening) this.#feed.emit({ kind: "clear", node });
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
    return this.#feed.add(listener);
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
