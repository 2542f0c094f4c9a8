import { ABSENT_RESOURCE_VERSION, type ConfigWatcher, type SotwResponse } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { StreamInfo } from "@xdskit/server-core";
import {
  classifyRequest,
  encodeSotwResponse,
  type MaybePromise,
  nackLogFields,
  nextByPolling,
  observe,
  type ProtocolStream,
  type ResolvedServerOptions,
  resourceListIndex,
  type ResponseChunks,
  type ServerContextState,
  type StreamInit,
  StreamLifecycle,
  type TypeStreamState,
  sotwResponseMessage,
  withoutResourceErrors,
} from "@xdskit/server-core/internal";

/**
 * One State-of-the-World stream (ADS, or a per-type Stream* method when
 * `init.typeUrl` is set): one watch per type on the cache, each accepted
 * request replacing its type's watch; every response with a fresh nonce,
 * recorded as sent. See {@link ProtocolStream} for how a transport drives it.
 */
export class SotwStream implements ProtocolStream<DiscoveryRequest, DiscoveryResponse> {
  readonly #lifecycle: StreamLifecycle<SotwResponse>;
  readonly #watcher: ConfigWatcher;
  readonly #options: ResolvedServerOptions;
  readonly #headroom: number;
  readonly #responders = new Map<string, (response: SotwResponse) => void>();

  constructor(watcher: ConfigWatcher, context: ServerContextState, init: StreamInit) {
    this.#lifecycle = new StreamLifecycle(context, "sotw", init);
    this.#watcher = watcher;
    this.#options = context.options;
    this.#headroom = init.headroom ?? 0;
  }

  get info(): StreamInfo {
    return this.#lifecycle.stream;
  }

  open(): Promise<void> {
    return this.#lifecycle.open();
  }

  async receive(request: DiscoveryRequest): Promise<void> {
    if (this.#lifecycle.closed) return;
    try {
      await this.#handle(request);
    } catch (error) {
      this.#lifecycle.fail(error);
      throw error;
    }
  }

  // Synchronous unless it has to wait: for an answer, or for an asynchronous onStreamResponse.
  next(): MaybePromise<ResponseChunks | undefined> {
    return nextByPolling((wake) => this.poll(wake));
  }

  poll(wake: () => void): MaybePromise<ResponseChunks | undefined> | null {
    const next = this.#lifecycle.pollAnswer(wake);
    return next === null ? null : this.#send(next);
  }

  #send(next: readonly [TypeStreamState, SotwResponse] | undefined): MaybePromise<ResponseChunks | undefined> {
    if (next === undefined) return undefined;
    const nonce = this.#recordSent(next[0], next[1]);
    const response = withoutResourceErrors(next[1], this.#options.resourceErrors);
    const hook = this.#options.callbacks.onStreamResponse;
    if (hook !== undefined) {
      // Synchronous hooks (the usual kind) are run without a promise.
      const stream = this.#lifecycle.stream;
      const pending = observe(this.#options.logger, "onStreamResponse", () => hook(stream, response.request, sotwResponseMessage(response, nonce)));
      if (pending !== undefined) return pending.then(() => this.#encode(next[0], response, nonce));
    }
    return this.#encode(next[0], response, nonce);
  }

  #encode(state: TypeStreamState, response: SotwResponse, nonce: string): ResponseChunks {
    const chunks = encodeSotwResponse(response, nonce, this.#headroom);
    let bytes = -this.#headroom;
    for (const chunk of chunks) bytes += chunk.length;
    this.#lifecycle.sent(state, response.resources, bytes);
    return chunks;
  }

  async nextMessage(): Promise<DiscoveryResponse | undefined> {
    const next = await this.#lifecycle.nextAnswer();
    if (next === undefined) return undefined;
    const nonce = this.#recordSent(next[0], next[1]);
    const response = withoutResourceErrors(next[1], this.#options.resourceErrors);
    this.#lifecycle.sent(next[0], response.resources, 0);
    if (this.#options.callbacks.onStreamResponse !== undefined) return this.#notify(response, nonce);
    return sotwResponseMessage(response, nonce);
  }

  close(reason?: unknown): Promise<void> {
    return this.#lifecycle.close(reason);
  }

  // The respond of every watch of a type: one function per type, not one per request.
  #responder(typeUrl: string): (response: SotwResponse) => void {
    let respond = this.#responders.get(typeUrl);
    if (respond === undefined) {
      const lifecycle = this.#lifecycle;
      respond = (response) => lifecycle.answer(typeUrl, response);
      this.#responders.set(typeUrl, respond);
    }
    return respond;
  }

  // Records an answer as sent under a fresh nonce, which it returns.
  #recordSent(state: TypeStreamState, response: SotwResponse): string {
    const nonce = this.#lifecycle.stream.nextNonce();
    recordSent(state, response, nonce);
    return nonce;
  }

  // Runs onStreamResponse with the response as a message, which it returns.
  async #notify(response: SotwResponse, nonce: string): Promise<DiscoveryResponse> {
    const message = sotwResponseMessage(response, nonce);
    const hook = this.#options.callbacks.onStreamResponse;
    if (hook !== undefined) await observe(this.#options.logger, "onStreamResponse", () => hook(this.#lifecycle.stream, response.request, message));
    return message;
  }

  async #handle(request: DiscoveryRequest): Promise<void> {
    const { callbacks, logger } = this.#options;
    const lifecycle = this.#lifecycle;
    const stream = lifecycle.stream;
    const node = stream.acceptNode(request.node);
    if (request.node === undefined) request.node = node;
    const typeUrl = stream.resolveTypeUrl(request.typeUrl);
    request.typeUrl = typeUrl;
    stream.checkSotwNames(typeUrl, request.resourceNames);
    // Only awaited when set: without it, a request is handled synchronously.
    const onRequest = callbacks.onStreamRequest;
    if (onRequest !== undefined) await onRequest(stream, request);
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
      if (kind === "ack") stream.recordAck(state);
      else if (kind === "nack") {
        const nack = stream.nackOf(state, request.responseNonce, request.errorDetail);
        if (nack !== undefined) {
          logger.warn("xds NACK", nackLogFields(nack));
          const hook = callbacks.onNack;
          if (hook !== undefined) await observe(logger, "onNack", () => hook(nack));
        }
        // The client keeps its previous version: watching from the rejected one
        // means only a newer version is sent, never the rejected one again.
        watchRequest = { ...request, versionInfo: state.lastVersion };
      }
      state.setResourceNames(request.resourceNames);
    }
    lifecycle.dropAnswer(typeUrl);
    state.cancelWatch();
    if (lifecycle.closed) return;
    lifecycle.watch(state, () => this.#watcher.createWatch(watchRequest, state.subscription, this.#responder(typeUrl)));
  }
}

// The names and name → hash map of a list the cache shares between watches are
// built once and shared by every stream sent it (resourceListIndex).
function recordSent(state: TypeStreamState, response: SotwResponse, nonce: string): void {
  const index = resourceListIndex(response.resources);
  state.recordSent(nonce, response.version, index.names);
  // A heartbeat renews TTLs of resources the client already holds; it is not
  // the client's new state, so it must not replace what we recorded as sent.
  if (response.heartbeat) return;
  const errors = response.errors;
  if (errors === undefined || errors.length === 0) {
    state.subscription.setReturnedResources(index.versions);
    return;
  }
  // Names told of an error are recorded as known not to exist, so the cache tells them once.
  const versions = new Map(index.versions);
  for (const error of errors) versions.set(error.name, ABSENT_RESOURCE_VERSION);
  state.subscription.setReturnedResources(versions);
}
