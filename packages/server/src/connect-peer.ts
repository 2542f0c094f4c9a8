import { type ContextValues, createContextKey, createContextValues, type HandlerContext } from "@connectrpc/connect";
import type { PeerInfo } from "@xdskit/server-core";
import type { NodeServerRequest } from "./node-handler.js";
import { peerOfRequest } from "./peer-info.js";

// Apart from peer-info.ts: this needs @connectrpc/connect, which only the Connect routes load.
const peerKey = createContextKey<PeerInfo | undefined>(undefined, { description: "xds peer" });

/** Connect context values carrying the request's peer. */
export function peerContextValues(request: NodeServerRequest): ContextValues {
  return createContextValues().set(peerKey, peerOfRequest(request));
}

/** The peer of a Connect handler context, when the server was made by `createXdsServer`. */
export function peerOf(context: HandlerContext): PeerInfo | undefined {
  return context.values.get(peerKey);
}
