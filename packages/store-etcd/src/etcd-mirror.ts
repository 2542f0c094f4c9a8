import type { Logger } from "@xdskit/cache-core";
import type { Etcd3 } from "etcd3";
import type { LoadReason, PrefixWatchState } from "./prefix-watch.js";
import type { ResourceCodecOptions } from "./resource-value.js";

/** Options every mirror takes. */
export interface EtcdMirrorOptions extends ResourceCodecOptions {
  /** An etcd3 client (see `createEtcdClient`). The mirror does not close it. */
  readonly client: Etcd3;
  /** Key prefix the writer uses. Default `/xdskit/`. */
  readonly prefix?: string | undefined;
  /** Default: silent. Bad values are logged at error level with their key; reconnects and resyncs at warn. */
  readonly logger?: Logger | undefined;
  /** First delay before reconnecting after the watch broke, in ms; doubles per failure up to the max. Default 100. */
  readonly reconnectDelayMs?: number | undefined;
  /** Longest delay between reconnect attempts, in ms. Default 2000. */
  readonly maxReconnectDelayMs?: number | undefined;
  /** Keys per read request during a full load. Default 500. */
  readonly pageSize?: number | undefined;
  /** Called after every change the mirror applied to its cache (for metrics or tests). Default: none. */
  readonly onUpdate?: ((update: MirrorUpdate) => void) | undefined;
}

/** One step of a mirror: the cache now holds the prefix as of `revision`. */
export interface MirrorUpdate {
  /** The etcd revision the cache now reflects. */
  readonly revision: number;
  /** `watch` for changes streamed by the watch, else why the prefix was (re)loaded. */
  readonly reason: LoadReason | "watch";
  /** Resources whose served value changed (added, replaced or removed). */
  readonly changed: number;
}

/** What a mirror is doing. */
export interface MirrorStatus {
  /** Loading, watching, reconnecting after a broken stream, or closed. */
  readonly state: PrefixWatchState;
  /** The etcd revision the cache reflects. */
  readonly revision: number;
  /** Full loads: 1 after start, +1 per resync after compaction. */
  readonly loads: number;
  /** Watches resumed from a revision after the stream broke (no reload). */
  readonly resumes: number;
  /** The etcd member (ID, decimal) the watch stream last heard from. */
  readonly member: string | undefined;
  /** Keys whose current value is skipped (does not decode or validate), and why. */
  readonly skipped: ReadonlyMap<string, string>;
}

/** Keeps a cache equal to a key prefix of etcd. */
export interface EtcdMirror {
  /**
   * Loads the prefix into the cache and starts watching. Resolves after the
   * first load; while etcd is unreachable it keeps retrying (race it with a
   * timeout to give up).
   */
  start(): Promise<void>;
  /** The etcd revision the cache reflects. */
  revision(): number;
  /** What the mirror is doing: state, revision, loads and resumes. */
  status(): MirrorStatus;
  /** Stops watching. The cache keeps what it holds. */
  close(): Promise<void>;
}
