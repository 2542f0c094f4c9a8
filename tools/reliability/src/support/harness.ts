// An in-process control plane for fault tests: a snapshot cache, every xDS service over it on
// 127.0.0.1, and counters kept by callbacks (open streams, responses written per stream).
import { createSnapshotCache, type SnapshotCache, type SnapshotCacheOptions } from "@xdskit/cache-snapshot";
import { createXdsServer, type XdsListener, type XdsServer, type XdsServerOptions } from "@xdskit/server";

export interface Harness {
  readonly cache: SnapshotCache;
  readonly server: XdsServer;
  readonly listener: XdsListener;
  readonly url: string;
  /** Streams opened and not closed yet (SotW + delta), as the server's callbacks saw them. */
  openStreams(): number;
  /** Streams opened in total. */
  streamsOpened(): number;
  /** Responses the server handed to the transport, per stream id. */
  readonly responsesByStream: Map<number, number>;
  /** Open SotW + delta watches over the given node keys (`statusInfo`). */
  watches(nodeKeys: Iterable<string>): { sotw: number; delta: number };
  close(): Promise<void>;
}

export async function startHarness(cacheOptions: SnapshotCacheOptions = {}, serverOptions: Omit<XdsServerOptions, "callbacks"> = {}): Promise<Harness> {
  const cache = createSnapshotCache(cacheOptions);
  let open = 0;
  let opened = 0;
  const responsesByStream = new Map<number, number>();
  const onOpen = () => {
    open++;
    opened++;
  };
  const onClose = (s: { id: number }) => {
    open--;
    responsesByStream.delete(s.id);
  };
  const onResponse = (s: { id: number }) => {
    responsesByStream.set(s.id, (responsesByStream.get(s.id) ?? 0) + 1);
  };
  const server = createXdsServer(cache, {
    ...serverOptions,
    callbacks: {
      // SotW and delta streams alike.
      onStreamOpen: onOpen,
      onStreamClosed: onClose,
      onStreamResponse: onResponse,
      onStreamDeltaResponse: onResponse,
    },
  });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  return {
    cache,
    server,
    listener,
    url: listener.url,
    openStreams: () => open,
    streamsOpened: () => opened,
    responsesByStream,
    watches(nodeKeys) {
      let sotw = 0;
      let delta = 0;
      for (const key of nodeKeys) {
        const info = cache.statusInfo(key);
        sotw += info?.sotwWatches ?? 0;
        delta += info?.deltaWatches ?? 0;
      }
      return { sotw, delta };
    },
    async close() {
      await server.close();
      cache.close();
    },
  };
}
