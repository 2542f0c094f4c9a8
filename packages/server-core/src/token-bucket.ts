/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `burst`.
 * Starts full, so a client may send `burst` requests at once (Envoy does, on
 * connect, one per type) and then `ratePerSecond` a second.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(ratePerSecond: number, burst: number, now: number = performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#at = now;
  }

  /** Takes one token and returns true, or returns false when the bucket is empty. */
  take(now: number = performance.now()): boolean {
    if (this.#rate === Number.POSITIVE_INFINITY) return true;
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
