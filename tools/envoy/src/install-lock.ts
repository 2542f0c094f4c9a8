import { mkdirSync, rmSync, statSync } from "node:fs";

/** How long a lock may be held before another process takes it over (a crashed installer). */
const STALE_MS = 15 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn` while holding `lockDir` (created with mkdir, which is atomic), so
 * processes that install at the same time (turbo runs several packages' tests
 * at once) take turns instead of clearing each other's venv. Waits up to
 * `timeoutMs`; a lock older than 15 minutes is taken over.
 */
export function withInstallLock<T>(lockDir: string, fn: () => T, timeoutMs = 20 * 60_000): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    try {
      if (Date.now() - statSync(lockDir).mtimeMs > STALE_MS) rmSync(lockDir, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${lockDir}`);
    sleepSync(100);
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
