// A worker of listenWorkers for workers.test.ts: follows the primary's linear EDS cache
// ("eds") and serves it; tells the primary (the test) which node ids its streams carry.
import { followLinearCache } from "@xdskit/cache-linear";
import { createXdsServer, followPrimary } from "@xdskit/server";

const { caches, port, host, onClose } = await followPrimary({ eds: followLinearCache });
const seen = new Set();
const server = createXdsServer(caches.eds, {
  callbacks: {
    onStreamDeltaRequest(_stream, request) {
      const node = request.node?.id;
      if (node === undefined || seen.has(node)) return;
      seen.add(node);
      process.send?.({ test: "stream", node, pid: process.pid });
    },
  },
});
const listener = await server.listen({ port, host });
onClose(() => listener.close());

// Test only: a worker that stops reading its IPC channel (its event loop blocked, for at most
// `ms`), as a stuck worker would; the primary must replace it (maxPendingBytes).
process.on("message", (message) => {
  if (message?.test === "stall") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, message.ms);
});
