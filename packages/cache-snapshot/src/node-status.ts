import type { DeltaResponse, SotwResponse } from "@xdskit/cache-core";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { WatchesByType, type Watch } from "./watches-by-type.js";

export type SotwWatch = Watch<DiscoveryRequest, SotwResponse>;
export type DeltaWatch = Watch<DeltaDiscoveryRequest, DeltaResponse>;

/** What a cache knows about one node key: see `SnapshotCache.statusInfo`. */
export interface StatusInfo {
  /** The node key (the result of the cache's `nodeHash`). */
  readonly nodeKey: string;
  /** The node of the latest request that carried one. */
  readonly node: Node | undefined;
  /** Open State-of-the-World watches. */
  readonly sotwWatches: number;
  /** Open delta watches. */
  readonly deltaWatches: number;
  /** When the node last opened a watch or fetched, in ms since the epoch (`Date.now()`). */
  readonly lastRequestTime: number | undefined;
}

/** The per-node state of a snapshot cache: its open watches and when it last asked. */
export class NodeStatus {
  readonly key: string;
  node: Node | undefined;
  lastRequestTime: number | undefined;
  readonly sotw = new WatchesByType<SotwWatch>();
  readonly delta = new WatchesByType<DeltaWatch>();

  constructor(key: string) {
    this.key = key;
  }

  get idle(): boolean {
    return this.sotw.size === 0 && this.delta.size === 0;
  }

  touch(node: Node | undefined): void {
    if (node !== undefined) this.node = node;
    this.lastRequestTime = Date.now();
  }

  info(): StatusInfo {
    return {
      nodeKey: this.key,
      node: this.node,
      sotwWatches: this.sotw.size,
      deltaWatches: this.delta.size,
      lastRequestTime: this.lastRequestTime,
    };
  }
}
