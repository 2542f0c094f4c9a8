import type { ConfigFetcher } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type FetchInfo, type PeerInfo, ServerError } from "@xdskit/server-core";
import {
  encodeSotwResponse,
  joinChunks,
  nextStreamId,
  observe,
  type ResolvedServerOptions,
  sotwResponseMessage,
  withoutResourceErrors,
} from "@xdskit/server-core/internal";

/** The outcome of a fetch: the response (encoded or as a message, each made on first use), or "not modified". */
export type FetchOutcome =
  | {
      readonly kind: "response";
      /** The encoded `DiscoveryResponse`, for transports that write bytes. */
      bytes(): Uint8Array;
      /** The `DiscoveryResponse` message (read-only: its parts are shared), for JSON or transports that serialize themselves. */
      message(): DiscoveryResponse;
    }
  | { readonly kind: "not-modified"; readonly version: string };

/** Who is fetching, as the transport knows it. */
export interface FetchCall {
  /** The type URL the endpoint serves. */
  readonly typeUrl: string;
  /** The request headers (gRPC metadata or HTTP headers). */
  readonly requestHeader: Headers;
  /** The client: address, TLS and verified certificate, when the transport knows it. */
  readonly peer: PeerInfo | undefined;
}

/**
 * One Fetch (gRPC Fetch* or REST): checks the request, runs the fetch
 * callbacks and asks the cache for its current state.
 *
 * @throws {ServerError} `missing-node`, `type-url-mismatch`; whatever a
 *   request callback or the cache throws.
 */
export async function fetchSotw(
  fetcher: ConfigFetcher,
  options: ResolvedServerOptions,
  call: FetchCall,
  request: DiscoveryRequest,
): Promise<FetchOutcome> {
  const { callbacks, logger } = options;
  if (request.node === undefined) {
    throw new ServerError("missing-node", "a fetch request must carry a node (field \"node\")", { typeUrl: call.typeUrl });
  }
  if (request.typeUrl === "") request.typeUrl = call.typeUrl;
  else if (request.typeUrl !== call.typeUrl) {
    throw new ServerError(
      "type-url-mismatch",
      `this endpoint serves "${call.typeUrl}" but the request asks for "${request.typeUrl}" (field "type_url")`,
      { typeUrl: request.typeUrl },
    );
  }
  const info: FetchInfo = { id: nextStreamId(), typeUrl: call.typeUrl, requestHeader: call.requestHeader, peer: call.peer };
  await callbacks.onFetchRequest?.(info, request);
  const result = await fetcher.fetch(request);
  if (result.kind === "not-modified") return { kind: "not-modified", version: result.version };
  const answer = withoutResourceErrors(result.response, options.resourceErrors);
  let bytes: Uint8Array | undefined;
  let message: DiscoveryResponse | undefined;
  const outcome: FetchOutcome = {
    kind: "response",
    bytes: () => {
      bytes ??= joinChunks(encodeSotwResponse(answer, ""));
      return bytes;
    },
    message: () => {
      message ??= sotwResponseMessage(answer, "");
      return message;
    },
  };
  const hook = callbacks.onFetchResponse;
  if (hook !== undefined) await observe(logger, "onFetchResponse", () => hook(info, request, outcome.message()));
  return outcome;
}
