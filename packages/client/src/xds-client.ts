import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { silentLogger, type Logger } from "@xdskit/cache-core";
import type { Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { AcceptedState } from "./accepted-state.js";
import type { ClientResponse } from "./client-response.js";
import { DeltaClientStream } from "./delta-client-stream.js";
import type { ProtocolStream } from "./protocol-stream.js";
import { ResponseInbox } from "./response-inbox.js";
import { SotwClientStream } from "./sotw-client-stream.js";
import { TypeSubscription } from "./type-subscription.js";

/** Options of {@link createXdsClient}. */
export interface XdsClientOptions {
  /** A Connect transport speaking gRPC (for example connect-node's `createGrpcTransport`). */
  readonly transport: Transport;
  /** Sent on the first request of the stream. */
  readonly node: Node | MessageInitShape<typeof NodeSchema>;
  /** `sotw` (StreamAggregatedResources) or `delta` (DeltaAggregatedResources). Default: `sotw`. */
  readonly protocol?: "sotw" | "delta" | undefined;
  /** ACK every response as it arrives. With false, call `ack`/`nack` yourself. Default: true. */
  readonly autoAck?: boolean | undefined;
  /** A warning when the stream fails. Default: silent. */
  readonly logger?: Logger | undefined;
}

/** One ADS stream seen from the client side; see {@link createXdsClient}. */
export interface XdsClient {
  /** Subscribe to names of a type; `"*"` is an explicit wildcard, no names (SotW) a legacy wildcard. */
  subscribe(typeUrl: string, names?: readonly string[] | "*"): void;
  /** Stop subscribing to names of a type; the server is told on the next request. */
  unsubscribe(typeUrl: string, names: readonly string[]): void;
  /** The next response not yet taken (optionally of one type); rejects after `timeoutMs` (default 10 s). */
  next(typeUrl?: string, timeoutMs?: number): Promise<ClientResponse>;
  /** Accept a response: it becomes the accepted state of its type, and the server hears an ACK. */
  ack(response: ClientResponse): void;
  /** Reject a response: sends `error_detail` with `message`; the accepted state stays as it was. */
  nack(response: ClientResponse, message: string): void;
  /** What has been accepted for a type. */
  state(typeUrl: string): AcceptedState;
  /** Resolves once `predicate` holds (checked after every response, ACK and NACK); rejects after `timeoutMs`. */
  waitFor(predicate: (client: XdsClient) => boolean, timeoutMs?: number): Promise<void>;
  /** Settles when the stream ends: undefined for a clean end or close(), else the ConnectError. */
  readonly ended: Promise<ConnectError | undefined>;
  /** Cancels the stream; `ended` settles with `undefined`. */
  close(): void;
}

/**
 * Opens one ADS stream, like an Envoy would, and keeps per-type state. The
 * parts: a `ProtocolStream` (SotW or delta requests and responses),
 * a `TypeSubscription` per type (subscription and accepted state), a
 * `ResponseInbox` (responses not yet taken, and waits), and here the
 * ACK policy and the stream's lifetime.
 */
export function createXdsClient(options: XdsClientOptions): XdsClient {
  const autoAck = options.autoAck ?? true;
  const log = options.logger ?? silentLogger;
  const ads = createClient(AggregatedDiscoveryService, options.transport);
  const stream: ProtocolStream =
    (options.protocol ?? "sotw") === "sotw" ? new SotwClientStream(ads, options.node) : new DeltaClientStream(ads, options.node);
  const abort = new AbortController();
  const inbox = new ResponseInbox();
  const types = new Map<string, TypeSubscription>();

  const typeOf = (typeUrl: string): TypeSubscription => {
    let type = types.get(typeUrl);
    if (type === undefined) {
      type = new TypeSubscription();
      types.set(typeUrl, type);
    }
    return type;
  };

  const client: XdsClient = {
    subscribe(typeUrl, names) {
      const type = typeOf(typeUrl);
      const first = !type.subscribed;
      const added = type.subscribe(names);
      stream.subscribe(typeUrl, type, names, added, first);
      type.subscribed = true;
    },
    unsubscribe(typeUrl, names) {
      const type = typeOf(typeUrl);
      type.unsubscribe(names);
      stream.unsubscribe(typeUrl, type, names);
    },
    next(typeUrl, timeoutMs = 10_000) {
      return inbox.next(typeUrl, timeoutMs);
    },
    ack(response) {
      const type = typeOf(response.typeUrl);
      type.accept(response);
      stream.ack(response, type);
      inbox.changed();
    },
    nack(response, message) {
      const type = typeOf(response.typeUrl);
      type.reject();
      stream.nack(response, type, message);
      inbox.changed();
    },
    state(typeUrl) {
      return typeOf(typeUrl).accepted();
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return inbox.waitFor(() => predicate(client), timeoutMs);
    },
    ended: run(),
    close() {
      abort.abort();
      stream.close();
    },
  };

  async function run(): Promise<ConnectError | undefined> {
    let ended: ConnectError | undefined;
    try {
      for await (const response of stream.responses(abort.signal)) {
        typeOf(response.typeUrl).nonce = response.nonce;
        inbox.push(response);
        if (autoAck) client.ack(response);
        inbox.changed();
      }
    } catch (error) {
      ended = abort.signal.aborted ? undefined : ConnectError.from(error);
      if (ended) log.warn("xds client stream ended", { code: ended.code, message: ended.rawMessage });
    }
    inbox.end(ended);
    return ended;
  }

  return client;
}
