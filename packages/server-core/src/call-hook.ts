import type { Logger } from "@xdskit/cache-core";

/**
 * Runs an observing callback (response, closed, NACK hooks) and logs rather
 * than propagates a failure. Returns a promise only when the callback
 * returned one (awaited by the caller): a synchronous callback, the common
 * case, costs no promise on the per-response path.
 */
export function observe(logger: Logger, hook: string, run: () => void | Promise<void>): Promise<void> | undefined {
  const failed = (error: unknown) => {
    logger.error(`xds callback ${hook} failed`, { error });
  };
  try {
    const result = run();
    return result === undefined ? undefined : Promise.resolve(result).then(undefined, failed);
  } catch (error) {
    failed(error);
    return undefined;
  }
}
