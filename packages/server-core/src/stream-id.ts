let last = 0;

/** A process-unique, increasing stream id (shared by SotW, delta and fetch). */
export function nextStreamId(): number {
  last += 1;
  return last;
}
