import type { Any } from "@bufbuild/protobuf/wkt";
import type { ResourceErrorReport } from "@xdskit/cache-core";

/** A resource as received. `version` is the delta per-resource version, or the response version in SotW. */
export interface ReceivedResource {
  /** The resource name. */
  readonly name: string;
  /** The delta per-resource version, or the response version in SotW. */
  readonly version: string;
  /** The resource as sent, packed; `undefined` for a delta resource sent without a body. */
  readonly any: Any | undefined;
}

/** One response, the same shape for both protocols. */
export interface ClientResponse {
  /** SotW or delta. */
  readonly protocol: "sotw" | "delta";
  /** The type URL of the response. */
  readonly typeUrl: string;
  /** The nonce to ACK or NACK it with. */
  readonly nonce: string;
  /** SotW `version_info`, or delta `system_version_info`. */
  readonly version: string;
  /** The resources the response carried. */
  readonly resources: readonly ReceivedResource[];
  /** Delta `removed_resources`; empty in SotW. */
  readonly removed: readonly string[];
  /**
   * `resource_errors` (xRFC TP3): per name, why the server does not serve it,
   * as a `google.rpc.Code` and a message. NOT_FOUND (5) means it does not
   * exist. Empty when the response has none.
   */
  readonly errors: readonly ResourceErrorReport[];
}
