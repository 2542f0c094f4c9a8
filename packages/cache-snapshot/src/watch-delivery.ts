import type { Logger } from "@xdskit/cache-core";
import type { Watch } from "./watches-by-type.js";

/**
 * Answers an open watch, once; `false` when it was closed already. A
 * `respond` that throws is logged (`threw`): one broken stream must not keep
 * the other watches of an update from their answers.
 */
export function deliver<R>(watch: Watch<unknown, R>, response: R, logger: Logger, threw: string): boolean {
  if (!watch.open) return false;
  watch.open = false;
  try {
    watch.respond(response);
  } catch (error) {
    logger.error(threw, { typeUrl: watch.typeUrl, error });
  }
  return true;
}

/** What `deliver` logs for a SotW watch's `respond` that threw. */
export const SOTW_THREW = "a SotW watch's respond threw";
/** What `deliver` logs for a delta watch's `respond` that threw. */
export const DELTA_THREW = "a delta watch's respond threw";
