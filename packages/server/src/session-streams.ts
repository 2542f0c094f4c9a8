/** What a transport can end with an error (a `GuardedStream`). */
export interface EndableStream {
  end(error: unknown): void;
}

// The fast-path streams of each HTTP/2 session, so that a connection that
// reached its maximum age can end them with a status rather than cut them.
const streamsOfSession = new WeakMap<object, Set<EndableStream>>();

/** Tracks `stream` as served on `session` until the returned function is called. */
export function trackOnSession(session: object, stream: EndableStream): () => void {
  let streams = streamsOfSession.get(session);
  if (streams === undefined) {
    streams = new Set();
    streamsOfSession.set(session, streams);
  }
  streams.add(stream);
  const set = streams;
  return () => set.delete(stream);
}

/** Ends every tracked stream of `session` with `error`. */
export function endSessionStreams(session: object, error: unknown): number {
  const streams = streamsOfSession.get(session);
  if (streams === undefined) return 0;
  const all = [...streams];
  for (const stream of all) stream.end(error);
  return all.length;
}
