// Heap measurements after full collections (the process must run with --expose-gc).
import { setImmediate as tick } from "node:timers/promises";

/**
 * JS heap plus off-heap memory (Buffers, ArrayBuffers: what queued HTTP/2 writes hold) after a few
 * full GCs with turns of the event loop in between (finalizers, closed handles).
 */
export async function memoryAfterGc(rounds = 4): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error("run with --expose-gc (vitest.config.ts sets it for the forks pool)");
  for (let i = 0; i < rounds; i++) {
    await tick();
    gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export const MiB = 1024 * 1024;
export const fmtMiB = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
