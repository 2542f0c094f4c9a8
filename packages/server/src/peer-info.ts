import type { TLSSocket } from "node:tls";
import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type { NodeServerRequest } from "./node-handler.js";
import type { PeerInfo } from "@xdskit/server-core";

const peerKey = createContextKey<PeerInfo | undefined>(undefined, { description: "xds peer" });

/** The peer of a node request: address, TLS, and the client certificate on demand. */
export function peerOfRequest(request: NodeServerRequest): PeerInfo {
  const socket = request.socket;
  const tls = (socket as Partial<TLSSocket>).encrypted === true;
  const address = socket.remotePort === undefined ? socket.remoteAddress : `${socket.remoteAddress}:${socket.remotePort}`;
  const peer: PeerInfo = {
    ...(address === undefined ? {} : { address }),
    tls,
    get certificate(): unknown {
      return tls ? (socket as TLSSocket).getPeerCertificate() : undefined;
    },
  };
  return peer;
}

/** Connect context values carrying the request's peer. */
export function peerContextValues(request: NodeServerRequest): ContextValues {
  return createContextValues().set(peerKey, peerOfRequest(request));
}

/** The peer recorded by {@link peerContextValues}. */
export function peerOf(context: HandlerContext): PeerInfo | undefined {
  return context.values.get(peerKey);
}
