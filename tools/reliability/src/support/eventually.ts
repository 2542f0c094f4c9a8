// Bounded polling: wait for a condition, never for a time.
import { setTimeout as sleep } from "node:timers/promises";

/** Runs `check` until it returns without throwing; after `timeoutMs` throws naming `what` with the last failure. */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`${what}: still not true after ${timeoutMs} ms; last: ${why}`, { cause: error });
      }
    }
    await sleep(intervalMs);
  }
}

/** Throws `message` unless `condition`; for `eventually` checks. */
export function check(condition: boolean, message: string | (() => string)): void {
  if (!condition) throw new Error(typeof message === "string" ? message : message());
}
