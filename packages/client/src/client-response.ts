import type { Any } from "@bufbuild/protobuf/wkt";

/** A resource as received. `version` is the delta per-resource version, or the response version in SotW. */
export interface ReceivedResource {
  readonly name: string;
  readonly version: string;
  readonly any: Any | undefined;
}

/** One response, the same shape for both protocols. */
export interface ClientResponse {
  readonly protocol: "sotw" | "delta";
  readonly typeUrl: string;
  readonly nonce: string;
  /** SotW `version_info`, or delta `system_version_info`. */
  readonly version: string;
  readonly resources: readonly ReceivedResource[];
  /** Delta `removed_resources`; empty in SotW. */
  readonly removed: readonly string[];
}
