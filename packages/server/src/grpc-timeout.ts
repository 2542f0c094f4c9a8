/** Milliseconds per unit of gRPC's `grpc-timeout` header (H, M, S, m, u, n). */
const MS_PER_UNIT: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * The deadline a gRPC client set in `grpc-timeout` (at most 8 digits and a
 * unit, per the gRPC over HTTP/2 spec), in milliseconds; `undefined` when
 * absent or malformed (then no deadline applies, as gRPC servers do).
 */
export function parseGrpcTimeout(header: string | undefined): number | undefined {
  if (header === undefined || header === "") return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(header);
  if (match === null) return undefined;
  return Number(match[1]) * (MS_PER_UNIT[match[2] ?? ""] ?? 0);
}

// setTimeout's longest delay; a longer deadline is as good as none.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `onDeadline` when the client's deadline passes; returns what stops
 * the timer (call it when the stream ends first).
 */
export function whenDeadlinePasses(header: string | undefined, onDeadline: () => void): () => void {
  const ms = parseGrpcTimeout(header);
  if (ms === undefined || ms > MAX_TIMER_MS) return () => {};
  const timer = setTimeout(onDeadline, ms);
  return () => clearTimeout(timer);
}
