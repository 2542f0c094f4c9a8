import type { PeerInfo } from "@xdskit/server-core";
import { certificateIdentities } from "@xdskit/server-core/internal";

/**
 * Who a peer is, for the per-peer limits: the first identity of its verified
 * client certificate under mTLS (`id:<identity>`), else its IP address
 * without the port (`ip:<address>`), else `unknown` (every peer the
 * transport cannot tell shares one budget).
 */
export function peerKey(peer: PeerInfo | undefined): string {
  const identity = certificateIdentities(peer)[0];
  if (identity !== undefined) return `id:${identity}`;
  return addressKey(peer?.address);
}

/** `ip:<address>` of an address with or without its port (`1.2.3.4:5`, `[::1]:5`, `::1:5`), or `unknown`. */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  return `ip:${hostOf(address)}`;
}

function hostOf(address: string): string {
  const host = address.startsWith("ipv4:") || address.startsWith("ipv6:") ? address.slice(5) : address;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(":");
  // `1.2.3.4:5` has one colon; a bare IPv6 address (no port) has several.
  return colon >= 0 && colon === host.lastIndexOf(":") ? host.slice(0, colon) : host;
}
