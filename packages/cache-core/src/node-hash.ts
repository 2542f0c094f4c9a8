import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { CacheError } from "./cache-error.js";

/**
 * Maps the node of a request to the key of the group of proxies that share
 * one view of configuration (one snapshot). It must be pure and cheap: caches
 * call it on every watch. Throw a {@link CacheError} with code `missing-node`
 * when the node cannot be keyed.
 *
 * Envoy sends `node` only on the first request of a stream by default; servers
 * keep it and pass it on, so `undefined` here means the stream never sent one.
 */
export type NodeHash = (node: Node | undefined) => string;

/** The default {@link NodeHash}: the node id. Throws `missing-node` when there is no node or its id is empty. */
export const nodeIdHash: NodeHash = (node) => {
  if (node === undefined) {
    throw new CacheError("missing-node", "request has no node: cannot select a snapshot without node.id");
  }
  if (node.id === "") {
    throw new CacheError("missing-node", "request node has an empty id: cannot select a snapshot without node.id");
  }
  return node.id;
};
