import { type Logger, silentLogger, typeNameOfUrl } from "@xdskit/cache-core";
import type { StreamState } from "./stream-state.js";
import type { TypeStreamState } from "./type-stream-state.js";

/** How many names a warning lists; the rest are counted. */
const LISTED = 10;
/** How many (node, type) pairs are remembered as told; the oldest are forgotten first. */
const REMEMBERED = 10_000;

/** A type of a stream the server warned about, until its first response goes out. */
interface Waiting {
  readonly key: string;
  readonly stream: StreamState;
}

/**
 * The server's own diagnostic of a silent hang, whatever the cache: a stream
 * that asked for a type and got no response for `firstResponseWarnMs` is
 * warned about once per node (id and cluster) and type, and an info line
 * follows when the answer comes. The cache knows why (a snapshot cache with a
 * logger says: no snapshot for the node key, missing names); the server only
 * sees that the proxy waits. One timer per server, running only while streams
 * are open, checks every open stream at half the threshold; with the silent
 * logger or a threshold of 0 nothing runs at all.
 */
export class FirstResponseDiagnostics {
  readonly #logger: Logger;
  readonly #thresholdMs: number;
  readonly #streams: () => Iterable<StreamState>;
  readonly #open: () => number;
  /** Keys told about and not answered since, oldest first. */
  readonly #told = new Set<string>();
  readonly #waiting = new Map<TypeStreamState, Waiting>();
  #timer: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(logger: Logger, thresholdMs: number, streams: () => Iterable<StreamState>, open: () => number) {
    this.#logger = logger;
    this.#thresholdMs = logger === silentLogger || !(thresholdMs > 0) || !Number.isFinite(thresholdMs) ? 0 : thresholdMs;
    this.#streams = streams;
    this.#open = open;
  }

  /** A stream was admitted: starts the check timer if it is not running. */
  streamOpened(): void {
    if (this.#thresholdMs === 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.check(), Math.max(this.#thresholdMs / 2, 10));
    this.#timer.unref();
  }

  /** Stops the timer (shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass over the open streams: warns about new waits, says when a warned-about wait ended. */
  check(now = performance.now()): void {
    for (const [state, waiting] of this.#waiting) {
      if (state.sentAt > 0) {
        this.#told.delete(waiting.key);
        this.#waiting.delete(state);
        const node = waiting.stream.node;
        this.#logger.info(
          `node "${node?.id ?? ""}" got its first ${shortName(state.typeUrl)} response after ${seconds(state.sentAt - state.openedAt)} s`,
          { node: node?.id ?? "", cluster: node?.cluster ?? "", typeUrl: state.typeUrl, streamId: waiting.stream.id },
        );
      } else if (waiting.stream.closed) {
        this.#waiting.delete(state);
      }
    }
    for (const stream of this.#streams()) {
      if (stream.closed) continue;
      for (const state of stream.types.values()) {
        if (state.sentAt > 0 || now - state.openedAt < this.#thresholdMs || this.#waiting.has(state)) continue;
        const subscription = state.subscription;
        const wildcard = subscription.isWildcard();
        // A subscription to nothing is not waiting for anything.
        if (!wildcard && subscription.resourceNames().size === 0) continue;
        const node = stream.node;
        const key = `${node?.id ?? ""}\u0000${node?.cluster ?? ""}\u0000${state.typeUrl}`;
        if (this.#told.has(key)) continue;
        this.#remember(key);
        this.#waiting.set(state, { key, stream });
        const names = wildcard ? [] : [...subscription.resourceNames()];
        const shown = names.slice(0, LISTED);
        const asked = wildcard ? "every one (wildcard)" : listed(shown, names.length);
        this.#logger.warn(
          `node "${node?.id ?? ""}" (cluster "${node?.cluster ?? ""}") has waited ${seconds(now - state.openedAt)} s for its first ${shortName(state.typeUrl)} response, asking for ${asked}: the cache has not answered, and the proxy stays initializing until it does (give the cache a logger: a snapshot cache says whether the node has no snapshot under its node key or which names it lacks)`,
          {
            node: node?.id ?? "",
            cluster: node?.cluster ?? "",
            typeUrl: state.typeUrl,
            streamId: stream.id,
            protocol: stream.protocol,
            names: shown,
            nameCount: wildcard ? -1 : names.length,
          },
        );
      }
    }
    if (this.#open() === 0 && this.#waiting.size === 0) this.stop();
  }

  #remember(key: string): void {
    if (this.#told.size >= REMEMBERED) {
      const oldest = this.#told.keys().next();
      if (oldest.done !== true) this.#told.delete(oldest.value);
    }
    this.#told.add(key);
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function shortName(typeUrl: string): string {
  const name = typeNameOfUrl(typeUrl);
  return name.slice(name.lastIndexOf(".") + 1);
}

/** `"a", "b" … (3 more)`. */
function listed(shown: readonly string[], total: number): string {
  const names = shown.map((name) => `"${name}"`).join(", ");
  return total > shown.length ? `${names} … (${total - shown.length} more)` : names;
}
