import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A node `http` / `http2` request handler, as `connectNodeAdapter` returns. */
export type NodeHandler = ReturnType<typeof connectNodeAdapter>;
/** The request a {@link NodeHandler} gets. */
export type NodeServerRequest = Parameters<NodeHandler>[0];
/** The response a {@link NodeHandler} writes. */
export type NodeServerResponse = Parameters<NodeHandler>[1];
