import { type ConfigWatcher, type DeltaResponse, isSubscribed, WILDCARD_RESOURCE_NAME } from "@xdskit/cache-core";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { StreamInfo } from "@xdskit/server-core";
import {
  classifyRequest,
  deltaResponseMessage,
  encodeDeltaResponse,
  type MaybePromise,
  nackLogFields,
  nextByPolling,
  observe,
  type ProtocolStream,
  type ResolvedServerOptions,
  type ResponseChunks,
  type ServerContextState,
  type StreamInit,
  StreamLifecycle,
  type TypeStreamState,
  withoutResourceErrors,
} from "@xdskit/server-core/internal";

/**
 * One incremental (delta) stream (delta ADS, or a per-type Delta* method when
 * `init.typeUrl` is set). Subscription changes are applied whatever nonce
 * they carry; a request with a stale nonce and no change is ignored. A NACK
 * is reported once and not rolled back: the rejected resources are not sent
 * again until they change. See {@link ProtocolStream} for how a transport drives it.
 */
export class DeltaStream implements ProtocolStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  readonly #lifecycle: StreamLifecycle<DeltaResponse>;
  readonly #watcher: ConfigWatcher;
  readonly #options: ResolvedServerOptions;
  readonly #headroom: number;
  readonly #responders = new Map<string, (response: DeltaResponse) => void>();

  constructor(watcher: ConfigWatcher, context: ServerContextState, init: StreamInit) {
    this.#lifecycle = new StreamLifecycle(context, "delta", init);
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

  receive(request: DeltaDiscoveryRequest): MaybePromise<void> {
    if (this.#lifecycle.closed) return;
    let pending: MaybePromise<void>;
    try {
      pending = this.#handle(request);
    } catch (error) {
      this.#lifecycle.fail(error);
      return Promise.reject(error);
    }
    if (pending === undefined) return;
    return pending.then(undefined, (error: unknown) => {
      this.#lifecycle.fail(error);
      throw error;
    });
  }

  // Synchronous unless it has to wait: for an answer, or for an asynchronous onStreamDeltaResponse.
  next(): MaybePromise<ResponseChunks | undefined> {
    return nextByPolling((wake) => this.poll(wake));
  }

  poll(wake: () => void): MaybePromise<ResponseChunks | undefined> | null {
    const next = this.#lifecycle.pollAnswer(wake);
    return next === null ? null : this.#send(next);
  }

  #send(next: readonly [TypeStreamState, DeltaResponse] | undefined): MaybePromise<ResponseChunks | undefined> {
    if (next === undefined) return undefined;
    const nonce = this.#recordSent(next[0], next[1]);
    const response = withoutResourceErrors(next[1], this.#options.resourceErrors);
    const hook = this.#options.callbacks.onStreamDeltaResponse;
    if (hook !== undefined) {
      // Synchronous hooks (the usual kind) are run without a promise.
      const stream = this.#lifecycle.stream;
      const pending = observe(this.#options.logger, "onStreamDeltaResponse", () => hook(stream, response.request, deltaResponseMessage(response, nonce)));
      if (pending !== undefined) return pending.then(() => this.#encode(next[0], response, nonce));
    }
    return this.#encode(next[0], response, nonce);
  }

  #encode(state: TypeStreamState, response: DeltaResponse, nonce: string): ResponseChunks {
    const bytes = encodeDeltaResponse(response, nonce, this.#headroom);
    this.#lifecycle.sent(state, response.resources, bytes.length - this.#headroom);
    return [bytes];
  }

  async nextMessage(): Promise<DeltaDiscoveryResponse | undefined> {
    const next = await this.#lifecycle.nextAnswer();
    if (next === undefined) return undefined;
    const nonce = this.#recordSent(next[0], next[1]);
    const response = withoutResourceErrors(next[1], this.#options.resourceErrors);
    this.#lifecycle.sent(next[0], response.resources, 0);
    if (this.#options.callbacks.onStreamDeltaResponse !== undefined) return this.#notify(response, nonce);
    return deltaResponseMessage(response, nonce);
  }

  close(reason?: unknown): Promise<void> {
    return this.#lifecycle.close(reason);
  }

  // The respond of every watch of a type: one function per type, not one per request.
  #responder(typeUrl: string): (response: DeltaResponse) => void {
    let respond = this.#responders.get(typeUrl);
    if (respond === undefined) {
      const lifecycle = this.#lifecycle;
      respond = (response) => lifecycle.answer(typeUrl, response);
      this.#responders.set(typeUrl, respond);
    }
    return respond;
  }

  // Records an answer as sent under a fresh nonce, which it returns: the client
  // holds what it held, changed by the response (recorded in O(response)).
  #recordSent(state: TypeStreamState, response: DeltaResponse): string {
    const nonce = this.#lifecycle.stream.nextNonce();
    state.recordSent(
      nonce,
      response.systemVersion,
      response.resources.map((resource) => resource.name),
    );
    state.subscription.recordDeltaResponse(response.resources, response.removed);
    return nonce;
  }

  // Runs onStreamDeltaResponse with the response as a message, which it returns.
  async #notify(response: DeltaResponse, nonce: string): Promise<DeltaDiscoveryResponse> {
    const message = deltaResponseMessage(response, nonce);
    const hook = this.#options.callbacks.onStreamDeltaResponse;
    if (hook !== undefined) await observe(this.#options.logger, "onStreamDeltaResponse", () => hook(this.#lifecycle.stream, response.request, message));
    return message;
  }

  // Synchronous unless a callback returns a promise (onStreamDeltaRequest, onNack): then the rest waits for it.
  #handle(request: DeltaDiscoveryRequest): MaybePromise<void> {
    const stream = this.#lifecycle.stream;
    const node = stream.acceptNode(request.node);
    if (request.node === undefined) request.node = node;
    const typeUrl = stream.resolveTypeUrl(request.typeUrl);
    request.typeUrl = typeUrl;
    stream.checkDeltaNames(typeUrl, request.resourceNamesSubscribe, request.resourceNamesUnsubscribe, request.initialResourceVersions);
    // Only waited for when it returns a promise: otherwise a request is handled synchronously.
    const onRequest = this.#options.callbacks.onStreamDeltaRequest;
    if (onRequest !== undefined) {
      const pending = onRequest(stream, request);
      if (pending !== undefined) return Promise.resolve(pending).then(() => this.#apply(request, typeUrl));
    }
    return this.#apply(request, typeUrl);
  }

  #apply(request: DeltaDiscoveryRequest, typeUrl: string): MaybePromise<void> {
    const { callbacks, logger } = this.#options;
    const stream = this.#lifecycle.stream;
    let state = stream.types.get(typeUrl);
    const kind = classifyRequest(state, request);
    const subscribe = request.resourceNamesSubscribe;
    const unsubscribe = request.resourceNamesUnsubscribe;
    const changes = subscribe.length > 0 || unsubscribe.length > 0;
    stream.admitRequest(typeUrl, (kind === "ack" || kind === "nack") && !changes ? request.responseNonce : undefined);
    if (state === undefined) {
      state = stream.openType(typeUrl, subscribe, new Map(Object.entries(request.initialResourceVersions)));
      if (unsubscribe.length > 0) state.subscription.updateResourceNames([], unsubscribe);
      return this.#watch(request, state);
    }
    if (kind === "stale" && !changes) {
      logger.debug("xds stale nonce ignored", { streamId: stream.id, typeUrl, nonce: request.responseNonce });
      return;
    }
    let pending: Promise<void> | undefined;
    if (kind === "ack") stream.recordAck(state);
    else if (kind === "nack") {
      const nack = stream.nackOf(state, request.responseNonce, request.errorDetail);
      if (nack !== undefined) {
        logger.warn("xds NACK", nackLogFields(nack));
        const hook = callbacks.onNack;
        if (hook !== undefined) pending = observe(logger, "onNack", () => hook(nack));
      }
    }
    const typeState = state;
    const rest = () => {
      if (changes) applySubscriptionChange(typeState, subscribe, unsubscribe);
      this.#watch(request, typeState);
    };
    if (pending !== undefined) return pending.then(rest);
    rest();
  }

  // Replaces the type's watch with one for this request.
  #watch(request: DeltaDiscoveryRequest, state: TypeStreamState): void {
    const lifecycle = this.#lifecycle;
    const typeUrl = state.typeUrl;
    lifecycle.dropAnswer(typeUrl);
    state.cancelWatch();
    if (lifecycle.closed) return;
    lifecycle.watch(state, () => this.#watcher.createDeltaWatch(request, state.subscription, this.#responder(typeUrl)));
  }
}

// What the client holds of names it no longer wants is forgotten (it drops
// them); names subscribed again are forgotten too, so they are sent again.
function applySubscriptionChange(state: TypeStreamState, subscribe: readonly string[], unsubscribe: readonly string[]): void {
  const subscription = state.subscription;
  subscription.updateResourceNames(subscribe, unsubscribe);
  const forget = new Set<string>();
  for (const name of subscribe) if (name !== WILDCARD_RESOURCE_NAME) forget.add(name);
  for (const name of unsubscribe) if (name !== WILDCARD_RESOURCE_NAME) forget.add(name);
  if (!subscription.isWildcard()) {
    // Members of a subscribed xdstp glob collection are still wanted.
    for (const name of subscription.returnedResources().keys()) if (!isSubscribed(subscription, name)) forget.add(name);
  }
  if (forget.size > 0) subscription.updateReturnedResources([], forget);
}
