import type { Logger } from "@xdskit/cache-core";

/**
 * Runs an observing callback (response, closed, NACK hooks): awaits it when
 * it returns a promise, and logs rather than propagates a failure.
 */
export async function observe(logger: Logger, hook: string, run: () => void | Promise<void>): Promise<void> {
  try {
    const result = run();
    if (result !== undefined) await result;
  } catch (error) {
    logger.error(`xds callback ${hook} failed`, { error });
  }
}
