import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type { Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import {
  DeltaDiscoveryRequestSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import type { ClientResponse } from "./client-response.js";
import { NACK_CODE, nodeOnce, send, type ProtocolStream } from "./protocol-stream.js";
import { receivedErrors } from "./received-errors.js";
import type { TypeSubscription } from "./type-subscription.js";

/**
 * DeltaAggregatedResources: requests carry only subscription changes, and a
 * type's first request tells the server what is already held.
 */
export class DeltaClientStream implements ProtocolStream {
  readonly protocol = "delta";
  readonly #ads: Client<typeof AggregatedDiscoveryService>;
  readonly #requests = createWritableIterable<DeltaDiscoveryRequest>();
  readonly #node: ReturnType<typeof nodeOnce>;

  constructor(ads: Client<typeof AggregatedDiscoveryService>, node: Node | MessageInitShape<typeof NodeSchema>) {
    this.#ads = ads;
    this.#node = nodeOnce(node);
  }

  async *responses(signal: AbortSignal): AsyncIterable<ClientResponse> {
    for await (const response of this.#ads.deltaAggregatedResources(this.#requests, { signal })) yield fromDelta(response);
  }

  subscribe(typeUrl: string, type: TypeSubscription, names: readonly string[] | "*" | undefined, added: readonly string[], first: boolean): void {
    this.#send({
      ...this.#node(),
      typeUrl,
      resourceNamesSubscribe: names === "*" ? ["*"] : [...added],
      ...(first ? { initialResourceVersions: type.heldVersions() } : {}),
    });
    type.subscribed = true;
  }

  unsubscribe(typeUrl: string, _type: TypeSubscription, names: readonly string[]): void {
    this.#send({ typeUrl, resourceNamesUnsubscribe: [...names] });
  }

  ack(response: ClientResponse): void {
    this.#send({ typeUrl: response.typeUrl, responseNonce: response.nonce });
  }

  nack(response: ClientResponse, _type: TypeSubscription, message: string): void {
    this.#send({ typeUrl: response.typeUrl, responseNonce: response.nonce, errorDetail: { code: NACK_CODE, message } });
  }

  close(): void {
    this.#requests.close();
  }

  #send(init: MessageInitShape<typeof DeltaDiscoveryRequestSchema>): void {
    send(this.#requests, create(DeltaDiscoveryRequestSchema, init));
  }
}

function fromDelta(res: DeltaDiscoveryResponse): ClientResponse {
  return {
    protocol: "delta",
    typeUrl: res.typeUrl,
    nonce: res.nonce,
    version: res.systemVersionInfo,
    resources: res.resources.map((r) => ({ name: r.name, version: r.version, any: r.resource })),
    removed: [...res.removedResources],
    errors: receivedErrors(res.resourceErrors),
  };
}
