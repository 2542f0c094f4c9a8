import type { HandlerContext } from "@connectrpc/connect";
import type { ConfigWatcher, SotwResponse } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
  classifyRequest,
  observe,
  type PeerInfo,
  type ResolvedServerOptions,
  ResponseQueue,
  resolveServerOptions,
  ServerError,
  type ServerOptions,
  StreamState,
} from "@xdskit/server-core";
import { encodeSotwResponse } from "./encode-sotw-response.js";
import { requestReadError, toConnectError } from "./to-connect-error.js";

/** Options of {@link createSotwStreamHandler}. */
export interface SotwStreamOptions extends ServerOptions {
  /**
   * The type URL of a per-type service (such as `CLUSTER_TYPE_URL` for
   * StreamClusters): requests may leave `type_url` empty and may not name
   * another. Default: `""`, an aggregated (ADS) stream serving every type.
   */
  readonly typeUrl?: string;
  /** Tells callbacks who the peer is (the `server` package derives it from the socket). Default: unknown. */
  readonly peerOf?: (context: HandlerContext) => PeerInfo | undefined;
}

/** A Connect v2 bidi-streaming implementation of a SotW discovery method. */
export type SotwStreamHandler = (
  requests: AsyncIterable<DiscoveryRequest>,
  context: HandlerContext,
) => AsyncIterable<DiscoveryResponse>;

/**
 * The State-of-the-World stream handler: StreamAggregatedResources, or a
 * per-type Stream* method when `typeUrl` is set. Register it with
 * `router.rpc(method, handler)`.
 *
 * Requests are read while responses are written: each accepted request
 * replaces the type's watch on `watcher`; a watch's answer waits in a queue
 * holding at most one response per type, and is written (with a fresh
 * nonce) only when HTTP/2 flow control lets it through.
 */
export function createSotwStreamHandler(watcher: ConfigWatcher, options: SotwStreamOptions = {}): SotwStreamHandler {
  const resolved = resolveServerOptions(options);
  const typeUrl = options.typeUrl ?? "";
  const peerOf = options.peerOf;
  return (requests, context) =>
    runSotwStream(watcher, resolved, requests, {
      protocol: "sotw",
      typeUrl,
      requestHeader: context.requestHeader,
      peer: peerOf?.(context),
      signal: context.signal,
    });
}

async function* runSotwStream(
  watcher: ConfigWatcher,
  options: ResolvedServerOptions,
  requests: AsyncIterable<DiscoveryRequest>,
  init: ConstructorParameters<typeof StreamState>[0],
): AsyncGenerator<DiscoveryResponse> {
  const { callbacks, logger, shutdownSignal } = options;
  const stream = new StreamState(init, options);
  const queue = new ResponseQueue<SotwResponse>(options.ordered);
  const onClientGone = () => queue.end();
  const onShutdown = () => queue.fail(new ServerError("shutdown", "the xDS server is shutting down: reconnect"));
  let opened = false;
  try {
    if (shutdownSignal?.aborted) onShutdown();
    shutdownSignal?.addEventListener("abort", onShutdown);
    init.signal.addEventListener("abort", onClientGone);
    await callbacks.onStreamOpen?.(stream);
    opened = true;
    const pump = async () => {
      const iterator = requests[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<DiscoveryRequest>;
        try {
          step = await iterator.next();
        } catch (error) {
          throw requestReadError(error, "DiscoveryRequest");
        }
        if (step.done === true || stream.closed) return;
        await handleRequest(watcher, options, stream, queue, step.value);
      }
    };
    pump().then(
      () => queue.end(),
      (error: unknown) => queue.fail(error),
    );
    for (;;) {
      const next = await queue.take();
      if (next === undefined) return;
      const [responseType, response] = next;
      const state = stream.types.get(responseType);
      if (state === undefined) continue;
      const nonce = stream.nextNonce();
      const message = encodeSotwResponse(response, nonce);
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
      if (callbacks.onStreamResponse !== undefined) {
        const hook = callbacks.onStreamResponse;
        await observe(logger, "onStreamResponse", () => hook(stream, response.request, message));
      }
      yield message;
    }
  } catch (error) {
    const failure = toConnectError(error);
    logger.debug("xds stream failed", { streamId: stream.id, code: failure.code, message: failure.rawMessage });
    throw failure;
  } finally {
    shutdownSignal?.removeEventListener("abort", onShutdown);
    init.signal.removeEventListener("abort", onClientGone);
    stream.close();
    queue.end();
    if (opened && callbacks.onStreamClosed !== undefined) {
      const hook = callbacks.onStreamClosed;
      await observe(logger, "onStreamClosed", () => hook(stream));
    }
  }
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
  await callbacks.onStreamRequest?.(stream, request);
  let state = stream.types.get(typeUrl);
  const kind = classifyRequest(state, request);
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
