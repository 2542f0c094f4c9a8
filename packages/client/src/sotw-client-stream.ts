import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type { Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DiscoveryRequestSchema, type DiscoveryRequest, type DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ClientResponse } from "./client-response.js";
import { NACK_CODE, nodeOnce, send, type ProtocolStream } from "./protocol-stream.js";
import { receivedErrors } from "./received-errors.js";
import { resourceNameInAny } from "./resource-name-in-any.js";
import type { TypeSubscription } from "./type-subscription.js";

type SotwRequestFields = Pick<MessageInitShape<typeof DiscoveryRequestSchema>, "versionInfo" | "responseNonce" | "errorDetail">;

/**
 * StreamAggregatedResources: every request of a type restates its whole
 * subscription with the accepted version and the last nonce.
 */
export class SotwClientStream implements ProtocolStream {
  readonly protocol = "sotw";
  readonly #ads: Client<typeof AggregatedDiscoveryService>;
  readonly #requests = createWritableIterable<DiscoveryRequest>();
  readonly #node: ReturnType<typeof nodeOnce>;

  constructor(ads: Client<typeof AggregatedDiscoveryService>, node: Node | MessageInitShape<typeof NodeSchema>) {
    this.#ads = ads;
    this.#node = nodeOnce(node);
  }

  async *responses(signal: AbortSignal): AsyncIterable<ClientResponse> {
    for await (const response of this.#ads.streamAggregatedResources(this.#requests, { signal })) yield fromSotw(response);
  }

  subscribe(typeUrl: string, type: TypeSubscription, names: readonly string[] | "*" | undefined, _added: readonly string[], first: boolean): void {
    // No names on the type's first request is a legacy wildcard, sent as an empty list.
    if (!(names === undefined && first)) type.subscribed = true;
    this.#send(typeUrl, type);
  }

  unsubscribe(typeUrl: string, type: TypeSubscription): void {
    this.#send(typeUrl, type);
  }

  ack(response: ClientResponse, type: TypeSubscription): void {
    this.#send(response.typeUrl, type, { versionInfo: response.version, responseNonce: response.nonce });
  }

  nack(response: ClientResponse, type: TypeSubscription, message: string): void {
    this.#send(response.typeUrl, type, { responseNonce: response.nonce, errorDetail: { code: NACK_CODE, message } });
  }

  close(): void {
    this.#requests.close();
  }

  #send(typeUrl: string, type: TypeSubscription, fields: SotwRequestFields = {}): void {
    const legacyWildcard = type.wildcard && type.names.size === 0 && !type.subscribed;
    send(
      this.#requests,
      create(DiscoveryRequestSchema, {
        ...this.#node(),
        typeUrl,
        versionInfo: type.version,
        responseNonce: type.nonce,
        resourceNames: legacyWildcard ? [] : [...(type.wildcard ? ["*"] : []), ...type.names],
        ...fields,
      }),
    );
  }
}

function fromSotw(res: DiscoveryResponse): ClientResponse {
  return {
    protocol: "sotw",
    typeUrl: res.typeUrl,
    nonce: res.nonce,
    version: res.versionInfo,
    resources: res.resources.map((any) => ({ name: resourceNameInAny(any), version: res.versionInfo, any })),
    removed: [],
    errors: receivedErrors(res.resourceErrors),
  };
}
