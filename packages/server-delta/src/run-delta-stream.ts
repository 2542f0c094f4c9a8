import { type ConfigWatcher, type DeltaResponse, WILDCARD_RESOURCE_NAME } from "@xdskit/cache-core";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
  classifyRequest,
  observe,
  type ResolvedServerOptions,
  ResponseQueue,
  type StreamInit,
  StreamState,
  runStream,
  type TypeState,
} from "@xdskit/server-core";
import { encodeDeltaResponse } from "./encode-delta-response.js";

/**
 * Turns a delta answer about to be written into what a transport writes.
 * `message` is the DeltaDiscoveryResponse the `onStreamDeltaResponse`
 * callback saw, when one is set (built only then); otherwise `undefined`.
 */
export type DeltaEncoder<T> = (response: DeltaResponse, nonce: string, message: DeltaDiscoveryResponse | undefined) => T;

/**
 * One delta stream, independent of the transport: reads `requests`, keeps
 * one watch per type on `watcher`, and yields each answer (with a fresh
 * nonce) through `encode`, one at a time, only when the consumer asks for
 * the next: a consumer that awaits its transport's backpressure before
 * asking keeps at most one unsent answer per type. Ends when the requests
 * end or `init.signal` aborts; throws what failed (map it with `statusOf`).
 */
export function runDeltaStream<T>(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  requests: AsyncIterable<DeltaDiscoveryRequest>,
  init: StreamInit,
  encode: DeltaEncoder<T>,
): AsyncGenerator<T, void, undefined> {
  const { callbacks, logger } = options;
  return runStream<DeltaDiscoveryRequest, DeltaResponse, T>(options, requests, init, {
    failureMessage: "xds delta stream failed",
    onOpen: callbacks.onDeltaStreamOpen,
    onClosed: { name: "onDeltaStreamClosed", hook: callbacks.onDeltaStreamClosed },
    handle: (stream, queue, request) => handleDeltaRequest(watcher, options, stream, queue, request),
    async send(stream, state, response, nonce) {
      state.recordSent(
        nonce,
        response.systemVersion,
        response.resources.map((resource) => resource.name),
      );
      state.subscription.setReturnedResources(response.nextVersionMap);
      let message: DeltaDiscoveryResponse | undefined;
      if (callbacks.onStreamDeltaResponse !== undefined) {
        const hook = callbacks.onStreamDeltaResponse;
        const built = encodeDeltaResponse(response, nonce);
        message = built;
        await observe(logger, "onStreamDeltaResponse", () => hook(stream, response.request, built));
      }
      return encode(response, nonce, message);
    },
  });
}

// What the client holds of names it no longer wants is forgotten (it drops
// them); names subscribed again are forgotten too, so they are sent again.
function applySubscriptionChange(state: TypeState, subscribe: readonly string[], unsubscribe: readonly string[]): void {
  const subscription = state.subscription;
  subscription.updateResourceNames(subscribe, unsubscribe);
  const forget = new Set<string>();
  for (const name of subscribe) if (name !== WILDCARD_RESOURCE_NAME) forget.add(name);
  for (const name of unsubscribe) if (name !== WILDCARD_RESOURCE_NAME) forget.add(name);
  if (!subscription.isWildcard()) {
    const wanted = subscription.resourceNames();
    for (const name of subscription.returnedResources().keys()) if (!wanted.has(name)) forget.add(name);
  }
  if (forget.size > 0) subscription.updateReturnedResources([], forget);
}

async function handleDeltaRequest(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  stream: StreamState,
  queue: ResponseQueue<DeltaResponse>,
  request: DeltaDiscoveryRequest,
): Promise<void> {
  const { callbacks, logger } = options;
  const node = stream.acceptNode(request.node);
  if (request.node === undefined) request.node = node;
  const typeUrl = stream.resolveTypeUrl(request.typeUrl);
  request.typeUrl = typeUrl;
  stream.checkResourceNameCount(
    request.resourceNamesSubscribe.length +
      request.resourceNamesUnsubscribe.length +
      Object.keys(request.initialResourceVersions).length,
    typeUrl,
  );
  await callbacks.onStreamDeltaRequest?.(stream, request);
  let state = stream.types.get(typeUrl);
  const kind = classifyRequest(state, request);
  const subscribe = request.resourceNamesSubscribe;
  const unsubscribe = request.resourceNamesUnsubscribe;
  const changes = subscribe.length > 0 || unsubscribe.length > 0;
  stream.admitRequest(typeUrl, (kind === "ack" || kind === "nack") && !changes ? request.responseNonce : undefined);
  if (state === undefined) {
    state = stream.openType(typeUrl, subscribe, new Map(Object.entries(request.initialResourceVersions)));
    if (unsubscribe.length > 0) state.subscription.updateResourceNames([], unsubscribe);
  } else {
    if (kind === "stale" && !changes) {
      logger.debug("xds stale nonce ignored", { streamId: stream.id, typeUrl, nonce: request.responseNonce });
      return;
    }
    if (kind === "nack") {
      const nack = stream.nackOf(state, request.responseNonce, request.errorDetail);
      if (nack !== undefined) {
        logger.warn("xds NACK", { ...nack, node: nack.node?.id });
        const hook = callbacks.onNack;
        if (hook !== undefined) await observe(logger, "onNack", () => hook(nack));
      }
    }
    if (changes) applySubscriptionChange(state, subscribe, unsubscribe);
  }
  queue.drop(typeUrl);
  state.cancelWatch();
  if (stream.closed) return;
  state.setWatch(watcher.createDeltaWatch(request, state.subscription, (response) => queue.put(typeUrl, response)));
}
