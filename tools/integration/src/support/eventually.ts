// Bounded polling: Envoy applies config asynchronously, so tests wait for a condition, never for a time.
import { setTimeout as sleep } from "node:timers/promises";

export interface EventuallyOptions {
  /** Give up after this long. Default: 20 s. */
  readonly timeoutMs?: number;
  /** Pause between attempts. Default: 100 ms. */
  readonly intervalMs?: number;
}

/**
 * Runs `check` until it returns without throwing and gives back its result;
 * after the timeout, throws naming `what` with the last failure as cause.
 */
export async function eventually<T>(what: string, check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`${what}: still not true after ${opts.timeoutMs ?? 20_000} ms (${attempts} attempts); last: ${why}`, { cause: error });
      }
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
