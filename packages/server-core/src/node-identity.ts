import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { PeerInfo } from "./callbacks.js";

/**
 * Binds a stream's node to the identity of its client certificate: the
 * first request's `node.id` (or `node.cluster`) must match one of the
 * identities extracted from the peer, or the stream ends with
 * PERMISSION_DENIED. This keeps one proxy from asking for another's
 * resources (its secrets, say) by claiming its node id.
 */
export interface IdentityBinding {
  /**
   * The identities of a peer. Default: `certificateIdentities`, the
   * URI SANs then the DNS SANs of the client certificate (none without one).
   */
  readonly extract?: ((peer: PeerInfo | undefined) => readonly string[]) | undefined;
  /**
   * Whether a node may use these identities. Default:
   * `defaultIdentityMatch` on the node's {@link IdentityBinding.field}.
   */
  readonly matches?: ((node: Node, identities: readonly string[]) => boolean) | undefined;
  /** Which node field `matches` compares by default. Default: `"id"`. */
  readonly field?: "id" | "cluster" | undefined;
}

interface SanEntry {
  readonly kind: string;
  readonly value: string;
}

// Node's `subjectaltname` is `DNS:a, URI:spiffe://x/y, IP Address:1.2.3.4`;
// a value holding a comma or quote is written as a JSON string.
function parseSubjectAltName(text: string): SanEntry[] {
  const entries: SanEntry[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const kind = text.slice(i, colon).trim();
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      end += 1;
      try {
        value = String(JSON.parse(text.slice(colon + 1, end)));
      } catch {
        value = text.slice(colon + 2, end - 1);
      }
      const comma = text.indexOf(",", end);
      end = comma < 0 ? text.length : comma;
    } else {
      const comma = text.indexOf(", ", colon);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    entries.push({ kind, value });
    i = end + 1;
    while (text[i] === " ") i += 1;
  }
  return entries;
}

/**
 * The identities in a peer's client certificate (node's
 * `tls.PeerCertificate`): its URI SANs, then its DNS SANs. None when the
 * connection is cleartext or the client sent no certificate.
 */
export function certificateIdentities(peer: PeerInfo | undefined): readonly string[] {
  const certificate: unknown = peer?.certificate;
  if (typeof certificate !== "object" || certificate === null) return [];
  const san: unknown = (certificate as { subjectaltname?: unknown }).subjectaltname;
  if (typeof san !== "string" || san === "") return [];
  const entries = parseSubjectAltName(san);
  return [
    ...entries.filter((entry) => entry.kind === "URI").map((entry) => entry.value),
    ...entries.filter((entry) => entry.kind === "DNS").map((entry) => entry.value),
  ];
}

/**
 * The default match: `value` (the node id or cluster) is one of the
 * identities, or one of them is a URI whose path ends in `/<value>` (as a
 * SPIFFE id `spiffe://trust.domain/ns/x/sa/<value>`). An empty value never
 * matches.
 */
export function defaultIdentityMatch(value: string, identities: readonly string[]): boolean {
  if (value === "") return false;
  return identities.some((identity) => identity === value || (identity.includes("://") && identity.endsWith(`/${value}`)));
}

/** An {@link @xdskit/server-core#IdentityBinding} with its defaults applied. */
export interface ResolvedIdentityBinding {
  /** The node field compared. */
  readonly field: "id" | "cluster";
  /** Whether `node` may stream from `peer`. */
  allows(node: Node, peer: PeerInfo | undefined): boolean;
}

/** Applies the defaults of {@link @xdskit/server-core#IdentityBinding}. */
export function resolveIdentityBinding(binding: IdentityBinding): ResolvedIdentityBinding {
  const field = binding.field ?? "id";
  const extract = binding.extract ?? certificateIdentities;
  const matches = binding.matches ?? ((node: Node, identities: readonly string[]) => defaultIdentityMatch(node[field], identities));
  return {
    field,
    allows: (node, peer) => matches(node, extract(peer)),
  };
}
