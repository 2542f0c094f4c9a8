import type { ConfigWatcher, SotwResponse } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
  classifyRequest,
  observe,
  type ResolvedServerOptions,
  ResponseQueue,
  type StreamInit,
  StreamState,
  runStream,
} from "@xdskit/server-core";
import { encodeSotwResponse } from "./encode-sotw-response.js";

/**
 * Turns a cache answer about to be written into what a transport writes.
 * `message` is the DiscoveryResponse the `onStreamResponse` callback saw,
 * when one is set (built only then); otherwise `undefined`.
 */
export type SotwEncoder<T> = (response: SotwResponse, nonce: string, message: DiscoveryResponse | undefined) => T;

/**
 * One State-of-the-World stream, independent of the transport: reads
 * `requests`, keeps one watch per type on `watcher`, and yields each answer
 * (with a fresh nonce) through `encode`, one at a time, only when the
 * consumer asks for the next: a consumer that awaits its transport's
 * backpressure before asking keeps at most one unsent answer per type.
 * Ends when the requests end or `init.signal` aborts; throws what failed
 * (`ServerError`, a cache error, a callback's error): map it with `statusOf`.
 */
export function runSotwStream<T>(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  requests: AsyncIterable<DiscoveryRequest>,
  init: StreamInit,
  encode: SotwEncoder<T>,
): AsyncGenerator<T, void, undefined> {
  const { callbacks, logger } = options;
  return runStream<DiscoveryRequest, SotwResponse, T>(options, requests, init, {
    failureMessage: "xds stream failed",
    onOpen: callbacks.onStreamOpen,
    onClosed: { name: "onStreamClosed", hook: callbacks.onStreamClosed },
    handle: (stream, queue, request) => handleRequest(watcher, options, stream, queue, request),
    async send(stream, state, response, nonce) {
      const names: string[] = [];
      const versions = new Map<string, string>();
      for (const resource of response.resources) {
        names.push(resource.name);
        versions.set(resource.name, resource.hash);
      }
      state.recordSent(nonce, response.version, names);
      // A heartbeat renews TTLs of resources the client already holds; it is not
      // the client's new state, so it must not replace what we recorded as sent.
      if (!response.heartbeat) state.subscription.setReturnedResources(versions);
      let message: DiscoveryResponse | undefined;
      if (callbacks.onStreamResponse !== undefined) {
        const hook = callbacks.onStreamResponse;
        const built = encodeSotwResponse(response, nonce);
        message = built;
        await observe(logger, "onStreamResponse", () => hook(stream, response.request, built));
      }
      return encode(response, nonce, message);
    },
  });
}

async function handleRequest(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  stream: StreamState,
  queue: ResponseQueue<SotwResponse>,
  request: DiscoveryRequest,
): Promise<void> {
  const { callbacks, logger } = options;
  const node = stream.acceptNode(request.node);
  if (request.node === undefined) request.node = node;
  const typeUrl = stream.resolveTypeUrl(request.typeUrl);
  request.typeUrl = typeUrl;
  stream.checkResourceNameCount(request.resourceNames.length, typeUrl);
  await callbacks.onStreamRequest?.(stream, request);
  let state = stream.types.get(typeUrl);
  const kind = classifyRequest(state, request);
  stream.admitRequest(typeUrl, kind === "ack" || kind === "nack" ? request.responseNonce : undefined);
  if (kind === "stale") {
    logger.debug("xds stale nonce ignored", { streamId: stream.id, typeUrl, nonce: request.responseNonce });
    return;
  }
  let watchRequest = request;
  if (state === undefined) {
    state = stream.openType(typeUrl, request.resourceNames);
  } else {
    if (kind === "nack") {
      const nack = stream.nackOf(state, request.responseNonce, request.errorDetail);
      if (nack !== undefined) {
        logger.warn("xds NACK", { ...nack, node: nack.node?.id });
        const hook = callbacks.onNack;
        if (hook !== undefined) await observe(logger, "onNack", () => hook(nack));
      }
      // The client keeps its previous version: watching from the rejected one
      // means only a newer version is sent, never the rejected one again.
      watchRequest = { ...request, versionInfo: state.lastVersion };
    }
    state.setResourceNames(request.resourceNames);
  }
  queue.drop(typeUrl);
  state.cancelWatch();
  if (stream.closed) return;
  state.setWatch(watcher.createWatch(watchRequest, state.subscription, (response) => queue.put(typeUrl, response)));
}
