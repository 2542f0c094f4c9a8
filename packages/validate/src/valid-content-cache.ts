import { Buffer } from "node:buffer";
import type { MessagePlan } from "./message-plan.js";

/** What was learnt by validating one byte array: it holds a valid message of `plan`'s type. */
interface Known {
  readonly plan: MessagePlan;
  /** The bytes as they were: a hit is only taken when they still read the same. */
  readonly copy: Uint8Array;
  /** Nesting levels that were left under `maxDepth` where it was validated. */
  readonly room: number;
  /** Messages the walk visited (counted against `maxMessages` again on a hit). */
  readonly visits: number;
}

/**
 * Encoded messages (the `value` of an `Any`, a resource given as bytes) already found valid, so
 * that validating the same bytes again (the same snapshot resources on every update) costs a
 * lookup instead of a walk. Keyed by the byte array object, weakly (an entry lives as long as the
 * array); a hit is checked byte for byte against a copy taken when it was validated, so bytes
 * changed in place are validated again. Only valid contents are remembered: violations carry
 * the path where the content sits, which differs from use to use.
 */
export class ValidContentCache {
  readonly #known = new WeakMap<Uint8Array, Known>();

  /**
   * Whether `bytes` were found to be a valid `plan` message with at least `room` nesting levels
   * to spare and no more than `maxVisits` messages; then returns the messages that walk visited,
   * else -1.
   */
  visitsIfValid(plan: MessagePlan, bytes: Uint8Array, room: number, maxVisits: number): number {
    const known = this.#known.get(bytes);
    if (known === undefined || known.plan !== plan || known.room > room || known.visits > maxVisits) return -1;
    return sameBytes(known.copy, bytes) ? known.visits : -1;
  }

  /** Remembers that `bytes` are a valid `plan` message (see {@link visitsIfValid}). */
  rememberValid(plan: MessagePlan, bytes: Uint8Array, room: number, visits: number): void {
    this.#known.set(bytes, { plan, copy: bytes.slice(), room, visits });
  }
}

// Past a few dozen bytes, memcmp behind Buffer.compare beats a loop despite the call (about half
// the time for the 80–150-byte contents of the benchmark).
const LOOP_BELOW = 32;

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n >= LOOP_BELOW) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
