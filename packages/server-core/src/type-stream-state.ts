import {
  type CachedResource,
  type Cancel,
  createSubscription,
  type MutableSubscription,
  type SubscriptionOptions,
} from "@xdskit/cache-core";
import { NO_COUNTERS, type TypeCounters } from "./server-telemetry.js";

/** A NACK as the client status keeps it (its message capped by `STATUS_LIMITS.maxMessageLength`). */
export interface NackRecord {
  /** The nonce of the rejected response. */
  readonly nonce: string;
  /** The rejected version. */
  readonly version: string;
  /** `error_detail.code`. */
  readonly code: number;
  /** `error_detail.message`: Envoy's reason, capped. */
  readonly message: string;
  /** `performance.now()` when it arrived. */
  readonly at: number;
  /** The resources of the rejected response. */
  readonly resources: readonly CachedResource[];
}

const NONE: readonly CachedResource[] = [];

/**
 * What one stream knows about one type URL: the subscription, what was last
 * sent (nonce, version, names), the open watch, and which rejected nonce was
 * already reported. SotW and delta streams keep one per type.
 */
export class TypeStreamState {
  /** The type URL. */
  readonly typeUrl: string;
  /** What the client subscribes to: wildcard, names, and what it was sent of them. */
  readonly subscription: MutableSubscription;
  /** Nonce of the last response sent; `undefined` before the first. */
  lastNonce: string | undefined = undefined;
  /** `version_info` / `system_version_info` of the last response sent. */
  lastVersion = "";
  /** Names carried by the last response sent. */
  lastResourceNames: readonly string[] = [];
  // Client status: plain fields, set as responses go out and ACKs/NACKs come
  // in; times are performance.now(). Only a NACK allocates (its record).
  /** The resources of the last response sent (the cache's own objects). */
  lastResources: readonly CachedResource[] = NONE;
  /** When the client first asked for this type on the stream. */
  readonly openedAt = performance.now();
  /** When the last response was sent; 0 before the first. */
  sentAt = 0;
  /** When the cache's answer that the last response carries was queued. */
  sentAnsweredAt = 0;
  /** When the newest cache answer of this type was queued. */
  answeredAt = 0;
  /** Nonce of the last response the client ACKed; `undefined` before the first ACK. */
  ackedNonce: string | undefined = undefined;
  /** Version of the last response the client ACKed. */
  ackedVersion = "";
  /** When that ACK arrived. */
  ackedAt = 0;
  /** The resources of the last response the client ACKed. */
  ackedResources: readonly CachedResource[] = NONE;
  /** The last NACK, current or not (it is current while its nonce is {@link TypeStreamState.lastNonce}). */
  lastNack: NackRecord | undefined = undefined;
  /** This type's metric counters (shared by every stream of the protocol and type). */
  counters: TypeCounters = NO_COUNTERS;
  #cancel: Cancel | undefined = undefined;
  #reportedNack: string | undefined = undefined;

  constructor(typeUrl: string, subscription: SubscriptionOptions) {
    this.typeUrl = typeUrl;
    this.subscription = createSubscription(subscription);
  }

  /**
   * SotW: applies the names of a request. What the client was sent of names
   * it no longer subscribes to is forgotten, so subscribing to them again
   * gets them sent again; so is what it was sent of names it names now for
   * the first time (sent under a wildcard): the spec has the server re-send
   * newly requested resources even when it sent them unasked.
   */
  setResourceNames(names: readonly string[]): void {
    const subscription = this.subscription;
    const named = subscription.resourceNames();
    const revision = subscription.namesRevision();
    subscription.setResourceNames(names);
    // An ACK names what it named before: nothing to forget.
    if (subscription.namesRevision() === revision) return;
    // Names held without being named (sent under a wildcard) and named now are sent again.
    const held = subscription.returnedResources();
    const renamed: string[] = [];
    for (const name of names) if (held.has(name) && !named.has(name)) renamed.push(name);
    if (renamed.length > 0) subscription.updateReturnedResources([], renamed);
    if (subscription.isWildcard()) return;
    const wanted = subscription.resourceNames();
    const stale: string[] = [];
    for (const name of subscription.returnedResources().keys()) if (!wanted.has(name)) stale.push(name);
    if (stale.length > 0) subscription.updateReturnedResources([], stale);
  }

  /** Records a response as sent. */
  recordSent(nonce: string, version: string, resourceNames: readonly string[]): void {
    this.lastNonce = nonce;
    this.lastVersion = version;
    this.lastResourceNames = resourceNames;
  }

  /** Replaces the open watch, cancelling the previous one. */
  setWatch(cancel: Cancel | undefined): void {
    const previous = this.#cancel;
    this.#cancel = cancel;
    previous?.();
  }

  /** Cancels the open watch, if any. */
  cancelWatch(): void {
    this.setWatch(undefined);
  }

  /** Whether a watch is open (it may have responded already). */
  hasWatch(): boolean {
    return this.#cancel !== undefined;
  }

  /** True the first time a NACK of `nonce` is seen, false for repeats. */
  firstNackOf(nonce: string): boolean {
    if (this.#reportedNack === nonce) return false;
    this.#reportedNack = nonce;
    return true;
  }
}
