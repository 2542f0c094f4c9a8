import type { MirrorUpdate } from "./index.js";

/** Collects a mirror's updates and lets a test await the one it expects. */
export function mirrorUpdates(): {
  readonly onUpdate: (update: MirrorUpdate) => void;
  readonly seen: MirrorUpdate[];
  /** Resolves with the first update (past or future) that satisfies `match`. */
  next(what: string, match: (update: MirrorUpdate) => boolean, timeoutMs?: number): Promise<MirrorUpdate>;
} {
  const seen: MirrorUpdate[] = [];
  const waiters = new Set<{ match: (u: MirrorUpdate) => boolean; resolve: (u: MirrorUpdate) => void }>();
  return {
    seen,
    onUpdate(update) {
      seen.push(update);
      for (const w of [...waiters]) {
        if (!w.match(update)) continue;
        waiters.delete(w);
        w.resolve(update);
      }
    },
    next(what, match, timeoutMs = 20_000) {
      const past = seen.find(match);
      if (past !== undefined) return Promise.resolve(past);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}; updates seen: ${JSON.stringify(seen)}`));
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (u: MirrorUpdate) => {
            clearTimeout(timer);
            resolve(u);
          },
        };
        waiters.add(waiter);
      });
    },
  };
}
