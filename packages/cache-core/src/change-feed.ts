import type { Cancel } from "./config-watcher.js";

/**
 * The ordered change feed of a cache: what another process needs to keep a
 * *follower* equal to it without re-marshalling anything. `State` and
 * `Change` are plain data (strings, numbers, `Uint8Array`s, arrays and
 * objects) that survive the structured clone of `node:cluster`'s advanced
 * IPC serialization.
 *
 * A follower built from {@link ChangeFeed.feedState} and then given every
 * change that followed it, in order, serves exactly what the cache serves:
 * the same resource bytes, hashes (delta versions) and `version_info`s, so a
 * client that moves from one follower to another is not re-sent what it holds.
 */
export interface ChangeFeed<State, Change> {
  /** Everything a follower that starts now needs: the cache's current state, as plain data. */
  feedState(): State;
  /**
   * Calls `listener` with every change the cache applies from now on, in
   * order, synchronously after the change is applied and before any watch
   * it answers is called back (so a change a callback makes comes after it).
   * A listener that throws is logged by the cache and does not stop the
   * others. Returns a function that removes the listener.
   */
  onChange(listener: (change: Change) => void): Cancel;
}

/** A cache that follows a {@link ChangeFeed}: see each cache's `follow…` factory. */
export interface ChangeFollower<Change> {
  /**
   * Applies the next change of the feed, answering the watches it makes
   * answerable, as the leading cache did.
   *
   * @throws {CacheError} `invalid-options` when the change is not the next
   *   one of the feed (one was lost or applied twice).
   */
  applyChange(change: Change): void;
}
