import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { ClientResponse } from "./client-response.js";
import type { TypeSubscription } from "./type-subscription.js";

/**
 * One ADS stream in one protocol: it turns subscription changes, ACKs and
 * NACKs into that protocol's requests and its responses into
 * {@link ClientResponse}s. It keeps no state of its own beyond the stream.
 */
export interface ProtocolStream {
  readonly protocol: "sotw" | "delta";
  /** Opens the stream; yields every response; throws the transport's error when it fails. */
  responses(signal: AbortSignal): AsyncIterable<ClientResponse>;
  /** Sends a subscription change already recorded in `type` (`added`: the names it added; `first`: the type's first request). */
  subscribe(typeUrl: string, type: TypeSubscription, names: readonly string[] | "*" | undefined, added: readonly string[], first: boolean): void;
  /** Sends an unsubscription already recorded in `type`. */
  unsubscribe(typeUrl: string, type: TypeSubscription, names: readonly string[]): void;
  ack(response: ClientResponse, type: TypeSubscription): void;
  nack(response: ClientResponse, type: TypeSubscription, message: string): void;
  /** Ends the request side; writes after it are dropped. */
  close(): void;
}

/** `error_detail.code` of a NACK: INVALID_ARGUMENT, as Envoy sends. */
export const NACK_CODE = 3;

/** The node for the stream's first request only, as Envoy sends it by default. */
export function nodeOnce(node: Node | MessageInitShape<typeof NodeSchema>): () => { node?: MessageInitShape<typeof NodeSchema> } {
  let sent = false;
  return () => {
    if (sent) return {};
    sent = true;
    return { node: node as MessageInitShape<typeof NodeSchema> };
  };
}

/**
 * Writes a request without waiting for the transport to take it. A write
 * fails only once the stream has ended, which `XdsClient.ended` reports.
 */
export function send<T>(requests: { write(request: T): Promise<void> }, request: T): void {
  requests.write(request).catch(() => {});
}
