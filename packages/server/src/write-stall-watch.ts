/**
 * Watches a stream's writes for a client that stops taking data: a write is
 * done once node:http2 sent it, which a closed flow-control window (a client
 * that never sends WINDOW_UPDATE) holds off forever. When writes are
 * outstanding and none completed for `timeoutMs`, `onStall` runs once.
 * One timer per stream, armed only while writes are outstanding.
 */
export class WriteStallWatch {
  readonly #timeoutMs: number;
  readonly #onStall: () => void;
  #outstanding = 0;
  #progressAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #done = () => {
    this.#outstanding -= 1;
    this.#progressAt = performance.now();
  };

  constructor(timeoutMs: number, onStall: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#onStall = onStall;
  }

  /** Counts a write as outstanding; returns the callback to give the write. */
  started(): () => void {
    if (this.#outstanding === 0) this.#progressAt = performance.now();
    this.#outstanding += 1;
    if (this.#timer === undefined && Number.isFinite(this.#timeoutMs) && !this.#stopped) this.#arm(this.#timeoutMs);
    return this.#done;
  }

  /** Stops watching (the stream ended). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped || this.#outstanding <= 0) return;
      const idle = performance.now() - this.#progressAt;
      if (idle >= this.#timeoutMs) {
        this.stop();
        this.#onStall();
      } else {
        this.#arm(this.#timeoutMs - idle);
      }
    }, ms);
    this.#timer.unref();
  }
}
