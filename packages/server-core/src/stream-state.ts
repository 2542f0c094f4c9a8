import { WILDCARD_RESOURCE_NAME } from "@xdskit/cache-core";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { Status } from "@xdskit/envoy-api/google/rpc/status_pb";
import type { NackInfo, PeerInfo, StreamInfo } from "./callbacks.js";
import { ServerError } from "./server-error.js";
import type { ResolvedServerOptions } from "./server-options.js";
import { ServerTelemetry } from "./server-telemetry.js";
import { capText, STATUS_LIMITS } from "./status-limits.js";
import { nextStreamId } from "./stream-id.js";
import { TokenBucket } from "./token-bucket.js";
import { TypeStreamState } from "./type-stream-state.js";

/** What a {@link StreamState} is made from: what the transport knows (`StreamInit`) and the protocol. */
export interface StreamStateInit {
  /** SotW or delta. */
  readonly protocol: "sotw" | "delta";
  /** The type URL of a per-type service, or `""` for ADS. */
  readonly typeUrl: string;
  /** The request headers (gRPC metadata). */
  readonly requestHeader: Headers;
  /** The client, as the transport knows it. */
  readonly peer: PeerInfo | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * The server side of one stream: its id and node, its nonces, and one
 * {@link TypeStreamState} per type URL. Also the {@link @xdskit/server-core#StreamInfo} callbacks get.
 */
export class StreamState implements StreamInfo {
  /** The stream id, unique within the process. */
  readonly id: number;
  /** SotW or delta. */
  readonly protocol: "sotw" | "delta";
  /** The type URL of a per-type service, or `""` for ADS. */
  readonly typeUrl: string;
  /** The client, as the transport knows it. */
  readonly peer: PeerInfo | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The state of each type the client asked for, by type URL. */
  readonly types = new Map<string, TypeStreamState>();
  /** When the stream opened (`performance.now()`). */
  readonly openedAt = performance.now();
  /** The server's metrics and status revision. */
  readonly telemetry: ServerTelemetry;
  #node: Node | undefined = undefined;
  #nonce = 0;
  #closed = false;
  readonly #options: ResolvedServerOptions;
  readonly #init: StreamStateInit;
  readonly #requests: TokenBucket;
  // Per type: the nonce whose ACK/NACK was let through free.
  readonly #answered = new Map<string, string>();
  // Subscribed name bytes per type and in all (maxSubscribedNameBytes).
  readonly #nameBytesOf = new Map<string, number>();
  #nameBytes = 0;

  constructor(init: StreamStateInit, options: ResolvedServerOptions, telemetry?: ServerTelemetry) {
    this.id = nextStreamId();
    this.telemetry = telemetry ?? new ServerTelemetry(undefined, () => []);
    this.protocol = init.protocol;
    this.typeUrl = init.typeUrl;
    this.#init = init;
    this.peer = init.peer;
    this.signal = init.signal;
    this.#options = options;
    this.#requests = new TokenBucket(options.limits.maxRequestsPerSecond, options.limits.requestBurst);
  }

  /**
   * The request headers (gRPC metadata), read from the transport's init
   * when first asked for: a transport may build them only then (the fast
   * path does; its first `Headers` would load node's fetch implementation).
   */
  get requestHeader(): Headers {
    return this.#init.requestHeader;
  }

  /**
   * Counts a request against the stream's rate limit. The first ACK or NACK
   * of each response (`answers` is its nonce) is free: those come at the
   * rate the server sends, which the client does not choose.
   *
   * @throws {ServerError} `limit-exceeded` when the stream sends faster than `maxRequestsPerSecond`.
   */
  admitRequest(typeUrl: string, answers?: string): void {
    if (answers !== undefined && this.#answered.get(typeUrl) !== answers) {
      this.#answered.set(typeUrl, answers);
      return;
    }
    if (this.#requests.take()) return;
    const { maxRequestsPerSecond, requestBurst } = this.#options.limits;
    throw new ServerError(
      "limit-exceeded",
      `the stream sent requests faster than the limit of ${maxRequestsPerSecond} per second (burst ${requestBurst}, maxRequestsPerSecond)`,
    );
  }

  /**
   * Checks the names of a SotW request, which replace the type's
   * subscription: their distinct count, and the stream's subscribed name
   * bytes once they replace the type's previous names.
   *
   * @throws {ServerError} `invalid-request` over `maxResourceNamesPerRequest`;
   *   `limit-exceeded` over `maxSubscribedNameBytes`.
   */
  checkSotwNames(typeUrl: string, names: readonly string[]): void {
    const { maxResourceNamesPerRequest, maxSubscribedNameBytes } = this.#options.limits;
    let bytes = lengthOf(names);
    // Duplicates only matter near a limit: dedupe then, not on every request.
    const others = this.#nameBytes - (this.#nameBytesOf.get(typeUrl) ?? 0);
    if (names.length > maxResourceNamesPerRequest || others + bytes > maxSubscribedNameBytes) {
      const distinct = new Set(names);
      this.#checkCount(distinct.size, typeUrl);
      bytes = lengthOf(distinct);
    }
    this.#setNameBytes(typeUrl, bytes);
  }

  /**
   * Checks the names of a delta request: the distinct count of its
   * subscribe, unsubscribe and initial-version names together, and the
   * stream's subscribed name bytes once the change applies.
   *
   * @throws {ServerError} `invalid-request` over `maxResourceNamesPerRequest`;
   *   `limit-exceeded` over `maxSubscribedNameBytes`.
   */
  checkDeltaNames(
    typeUrl: string,
    subscribe: readonly string[],
    unsubscribe: readonly string[],
    initialVersions: Readonly<Record<string, string>>,
  ): void {
    const changes = subscribe.length + unsubscribe.length;
    // An ACK names nothing: it costs no key list.
    if (changes === 0 && isEmpty(initialVersions)) return;
    const initial = Object.keys(initialVersions);
    const count = changes + initial.length;
    if (count > this.#options.limits.maxResourceNamesPerRequest) {
      this.#checkCount(new Set([...subscribe, ...unsubscribe, ...initial]).size, typeUrl);
    }
    if (changes === 0) return;
    const held = this.types.get(typeUrl)?.subscription;
    const names = held?.resourceNames();
    let wildcard = held?.isWildcard() === true && !held.isLegacyWildcard();
    let bytes = this.#nameBytesOf.get(typeUrl) ?? 0;
    const added = new Set<string>();
    for (const name of subscribe) {
      if (name === WILDCARD_RESOURCE_NAME) {
        if (!wildcard) bytes += name.length;
        wildcard = true;
      } else if (names?.has(name) !== true && !added.has(name)) {
        added.add(name);
        bytes += name.length;
      }
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD_RESOURCE_NAME) {
        if (wildcard) bytes -= name.length;
        wildcard = false;
      } else if (added.delete(name) || names?.has(name) === true) {
        bytes -= name.length;
      }
    }
    this.#setNameBytes(typeUrl, bytes);
  }

  /** Forgets the subscribed names of a type whose state was dropped. */
  forgetNames(typeUrl: string): void {
    this.#setNameBytes(typeUrl, 0);
  }

  #checkCount(count: number, typeUrl: string): void {
    const limit = this.#options.limits.maxResourceNamesPerRequest;
    if (count <= limit) return;
    throw new ServerError(
      "invalid-request",
      `the request names ${count} distinct resources of "${typeUrl}", more than the limit of ${limit} (maxResourceNamesPerRequest)`,
      { typeUrl },
    );
  }

  #setNameBytes(typeUrl: string, bytes: number): void {
    const total = this.#nameBytes - (this.#nameBytesOf.get(typeUrl) ?? 0) + bytes;
    const limit = this.#options.limits.maxSubscribedNameBytes;
    if (total > limit) {
      throw new ServerError(
        "limit-exceeded",
        `the stream would hold ${total} bytes of subscribed resource names (this request: "${typeUrl}"), more than the limit of ${limit} (maxSubscribedNameBytes)`,
        { typeUrl },
      );
    }
    this.#nameBytes = total;
    if (bytes === 0) this.#nameBytesOf.delete(typeUrl);
    else this.#nameBytesOf.set(typeUrl, bytes);
  }

  /** The node of the first request; `undefined` before it. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** A nonce never used before on this stream. */
  nextNonce(): string {
    this.#nonce += 1;
    return this.#nonce.toString(36);
  }

  /**
   * The node for a request: the first request must carry one and it is kept
   * for the stream (later requests may omit it; a different one is ignored).
   *
   * @throws {ServerError} `missing-node` on a first request without a node;
   *   `identity-mismatch` when identity binding is on and the node does not
   *   match the peer's certificate.
   */
  acceptNode(node: Node | undefined): Node {
    const kept = this.#node;
    if (kept !== undefined) return kept;
    if (node === undefined) {
      throw new ServerError("missing-node", "the first request of a stream must carry a node (field \"node\")");
    }
    const identity = this.#options.identity;
    if (identity !== undefined && !identity.allows(node, this.peer)) {
      const field = identity.field;
      throw new ServerError(
        "identity-mismatch",
        `node ${field} "${node[field]}" does not match the identity of the client certificate`,
      );
    }
    this.#node = node;
    return node;
  }

  /**
   * The type URL a request is about. ADS requests must name one; a per-type
   * service fills an empty one in and refuses any other.
   *
   * @throws {ServerError} `missing-type-url` or `type-url-mismatch`.
   */
  resolveTypeUrl(requested: string): string {
    if (this.typeUrl === "") {
      if (requested === "") {
        throw new ServerError("missing-type-url", "an aggregated (ADS) request must name its type (field \"type_url\")");
      }
      return requested;
    }
    if (requested !== "" && requested !== this.typeUrl) {
      throw new ServerError(
        "type-url-mismatch",
        `this service serves "${this.typeUrl}" but the request asks for "${requested}" (field "type_url")`,
        { typeUrl: requested },
      );
    }
    return this.typeUrl;
  }

  /** Creates the state of a type on its first request, applying the legacy-wildcard policy. */
  openType(typeUrl: string, resourceNames: readonly string[], returned?: ReadonlyMap<string, string>): TypeStreamState {
    const state = new TypeStreamState(typeUrl, {
      resourceNames,
      allowLegacyWildcard: this.#options.allowsLegacyWildcard(typeUrl),
      ...(returned === undefined ? {} : { returnedResources: returned }),
    });
    state.counters = this.telemetry.countersOf(this.protocol, typeUrl);
    this.types.set(typeUrl, state);
    this.telemetry.revision += 1;
    return state;
  }

  /** Records that the client ACKed the last response of a type (once per response). */
  recordAck(state: TypeStreamState): void {
    const nonce = state.lastNonce;
    if (nonce === undefined || state.ackedNonce === nonce) return;
    const now = performance.now();
    state.ackedNonce = nonce;
    state.ackedVersion = state.lastVersion;
    state.ackedAt = now;
    state.ackedResources = state.lastResources;
    this.telemetry.acked(state.counters, (now - state.sentAnsweredAt) / 1000);
  }

  /** The NACK to report for a rejected response, or `undefined` when this nonce was reported already. */
  nackOf(state: TypeStreamState, nonce: string, detail: Status | undefined): NackInfo | undefined {
    if (!state.firstNackOf(nonce)) return undefined;
    const message = detail?.message ?? "";
    state.lastNack = {
      nonce,
      version: state.lastVersion,
      code: detail?.code ?? 0,
      message: capText(message, STATUS_LIMITS.maxMessageLength),
      at: performance.now(),
      resources: state.lastResources,
    };
    this.telemetry.nacked(state.counters);
    return {
      streamId: this.id,
      protocol: this.protocol,
      node: this.#node,
      typeUrl: state.typeUrl,
      version: state.lastVersion,
      nonce,
      resourceNames: state.lastResourceNames,
      code: detail?.code ?? 0,
      message,
    };
  }

  /** Whether {@link StreamState.close} was called: no new watch may be opened. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Cancels every watch of the stream; idempotent. */
  close(): void {
    this.#closed = true;
    for (const state of this.types.values()) state.cancelWatch();
  }
}

/** A NACK as a log line shows it: Envoy's message capped, the names counted. */
export function nackLogFields(nack: NackInfo): Record<string, unknown> {
  return {
    streamId: nack.streamId,
    protocol: nack.protocol,
    node: nack.node?.id,
    typeUrl: nack.typeUrl,
    version: nack.version,
    nonce: nack.nonce,
    resources: nack.resourceNames.length,
    code: nack.code,
    message: capText(nack.message, STATUS_LIMITS.maxMessageLength),
  };
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

function lengthOf(names: Iterable<string>): number {
  let bytes = 0;
  for (const name of names) bytes += name.length;
  return bytes;
}
