import type { TLSSocket } from "node:tls";
import type { PeerInfo } from "@xdskit/server-core";
import type { NodeServerRequest } from "./node-handler.js";

/**
 * The peer of a node request: address, TLS, and (read on demand) the client
 * certificate, only when it was verified against the listener's CA: an
 * unverified certificate (`rejectUnauthorized: false`) proves no identity.
 */
export function peerOfRequest(request: NodeServerRequest): PeerInfo {
  const socket = request.socket;
  const tls = (socket as Partial<TLSSocket>).encrypted === true;
  const host = socket.remoteAddress?.includes(":") === true ? `[${socket.remoteAddress}]` : socket.remoteAddress;
  const address = socket.remotePort === undefined ? socket.remoteAddress : `${host}:${socket.remotePort}`;
  return {
    address,
    tls,
    get certificate(): unknown {
      if (!tls || (socket as TLSSocket).authorized !== true) return undefined;
      return (socket as TLSSocket).getPeerCertificate();
    },
  };
}
