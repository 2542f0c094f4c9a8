import type { ConfigFetcher } from "@xdskit/cache-core";
import type { DiscoveryRequest, DiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
  type FetchInfo,
  nextStreamId,
  observe,
  type PeerInfo,
  type ResolvedServerOptions,
  ServerError,
} from "@xdskit/server-core";
import { encodeSotwResponse } from "./encode-sotw-response.js";

/** The outcome of {@link fetchDiscovery}. */
export type FetchOutcome =
  | { readonly kind: "response"; readonly response: DiscoveryResponse }
  | { readonly kind: "not-modified"; readonly version: string };

/** Who is fetching. */
export interface FetchCall {
  /** The type URL the endpoint serves. */
  readonly typeUrl: string;
  readonly requestHeader: Headers;
  readonly peer: PeerInfo | undefined;
}

/**
 * One Fetch (gRPC Fetch* or REST): checks the request, runs the fetch
 * callbacks and asks the cache. Shared by the gRPC Fetch handlers and the
 * REST gateway.
 *
 * @throws {ServerError} `missing-node`, `type-url-mismatch`; whatever a
 *   request callback or the cache throws.
 */
export async function fetchDiscovery(
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
  const response = encodeSotwResponse(result.response, "");
  const hook = callbacks.onFetchResponse;
  if (hook !== undefined) await observe(logger, "onFetchResponse", () => hook(info, request, response));
  return { kind: "response", response };
}
