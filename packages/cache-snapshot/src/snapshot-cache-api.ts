import {
  type Cache,
  type ChangeFeed,
  type ChangeFollower,
  defaultResourceTypes,
  type Logger,
  type NodeHash,
  nodeIdHash,
  type ResourceTypeRegistry,
  silentLogger,
} from "@xdskit/cache-core";
import { type ResolvedValidationPolicy, resolveValidationPolicy, type ValidationPolicy } from "@xdskit/validate/policy";
import type { StatusInfo } from "./node-status.js";
import type { Snapshot } from "./snapshot.js";
import type { SnapshotCacheChange, SnapshotCacheState } from "./snapshot-cache-feed.js";

// What a caller of createSnapshotCache sees: the cache's interface, its options and their defaults.

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
 * Options of {@link followSnapshotCache}: those of the leading cache that
 * shape answers (`ads`, `nodeHash`, `types`; functions do not cross
 * processes, so give the same ones), and this cache's own `logger` and
 * `heartbeatIntervalMs`. No `validate`: the leader validated the snapshots.
 */
export type FollowSnapshotCacheOptions = Omit<SnapshotCacheOptions, "validate">;

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

/** {@link SnapshotCacheOptions} with their defaults applied (the heartbeat interval is checked where it starts). */
export interface ResolvedSnapshotCacheOptions {
  readonly ads: boolean;
  readonly nodeHash: NodeHash;
  readonly logger: Logger;
  readonly types: ResourceTypeRegistry;
  readonly validation: ResolvedValidationPolicy | undefined;
}

export function resolveSnapshotCacheOptions(options: SnapshotCacheOptions): ResolvedSnapshotCacheOptions {
  return {
    ads: options.ads ?? false,
    nodeHash: options.nodeHash ?? nodeIdHash,
    logger: options.logger ?? silentLogger,
    types: options.types ?? defaultResourceTypes,
    validation: resolveValidationPolicy(options.validate),
  };
}
