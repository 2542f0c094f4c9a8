import { ABSENT_RESOURCE_VERSION, type CachedResource, WILDCARD_RESOURCE_NAME } from "@xdskit/cache-core";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { certificateIdentities } from "./node-identity.js";
import { capText, STATUS_LIMITS } from "./status-limits.js";
import type { StreamState } from "./stream-state.js";
import type { TypeStreamState } from "./type-stream-state.js";

/** Options of `ServerContext.clientStatus`. Every property may be left out or `undefined`. */
export interface ClientStatusOptions {
  /** Only this stream. Default: every open stream. */
  readonly streamId?: number | undefined;
  /** List each type's resources with their state (`TypeStatus.resources`). Default: `false`. */
  readonly resources?: boolean | undefined;
}

/**
 * Where a type stands with its client:
 * - `requested`: subscribed, nothing sent yet (the cache has no answer yet);
 * - `pending`: a response was sent and is not answered yet;
 * - `acked`: the client accepted the last response;
 * - `nacked`: the client rejected the last response (see `nack`).
 */
export type TypeState = "requested" | "pending" | "acked" | "nacked";

/** A resource's state with one client: the type's states, plus `does-not-exist` for a name subscribed that the server told (or showed) the client does not exist. */
export type ResourceState = TypeState | "does-not-exist";

/** A node as its first request named it, text capped at `STATUS_LIMITS.maxTextLength`. */
export interface NodeSummary {
  /** `node.id`. */
  readonly id: string;
  /** `node.cluster`. */
  readonly cluster: string;
  /** `node.locality`, when the node has one. */
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string } | undefined;
  /** `user_agent_name/user_agent_version` (or the build version), such as `envoy/1.40.0`. */
  readonly userAgent: string;
}

/** A time and what happened then. Times are milliseconds since the epoch. */
export interface SentStatus {
  /** The `version_info` (SotW) or `system_version_info` (delta) sent. */
  readonly version: string;
  /** The nonce of the response. */
  readonly nonce: string;
  /** When it was sent. */
  readonly at: number;
  /** Resources the response carried. */
  readonly resources: number;
}

/** The last response a client accepted. Times are milliseconds since the epoch. */
export interface AckStatus {
  /** The version accepted. */
  readonly version: string;
  /** The nonce of the accepted response. */
  readonly nonce: string;
  /** When the ACK arrived. */
  readonly at: number;
}

/** A response a client rejected, with its reason. Times are milliseconds since the epoch. */
export interface NackStatus {
  /** The rejected version. */
  readonly version: string;
  /** The nonce of the rejected response. */
  readonly nonce: string;
  /** `error_detail.code`. */
  readonly code: number;
  /** Envoy's reason (`error_detail.message`), capped at `STATUS_LIMITS.maxMessageLength`. */
  readonly message: string;
  /** When the NACK arrived. */
  readonly at: number;
  /** Whether it is the answer to the last response (the client is still on its previous version). */
  readonly current: boolean;
}

/** One resource with one client, for CSDS and the admin page. */
export interface ResourceStatus {
  /** The resource name. */
  readonly name: string;
  /** The version the client holds, as far as the server knows (`""` when none). */
  readonly version: string;
  /** Where the resource stands with the client. */
  readonly state: ResourceState;
  /** The resource as the client holds it (last ACKed), when the server still has it. */
  readonly held: CachedResource | undefined;
  /** The resource as last sent, when that is not what the client holds (pending or rejected). */
  readonly sent: CachedResource | undefined;
}

/** One type on one stream. */
export interface TypeStatus {
  /** The type URL. */
  readonly typeUrl: string;
  /** Where the type stands with the client. */
  readonly state: TypeState;
  /** Whether the client subscribes to every resource of the type. */
  readonly wildcard: boolean;
  /** Names subscribed by name: the first `STATUS_LIMITS.maxNamesPerType`, each capped. */
  readonly names: readonly string[];
  /** How many names are subscribed by name (all of them, not only those listed). */
  readonly nameCount: number;
  /** The last response sent, if any. */
  readonly sent: SentStatus | undefined;
  /** The last response the client accepted, if any. */
  readonly acked: AckStatus | undefined;
  /** The last NACK, current or not. */
  readonly nack: NackStatus | undefined;
  /** Per resource; only with `clientStatus({ resources: true })`. */
  readonly resources?: readonly ResourceStatus[];
}

/** One open stream and its client. */
export interface StreamStatus {
  /** The stream id, unique within the server. */
  readonly streamId: number;
  /** SotW or delta. */
  readonly protocol: "sotw" | "delta";
  /** `""` on ADS, else the type URL of the per-type service. */
  readonly typeUrl: string;
  /** `undefined` until the first request arrived. */
  readonly node: NodeSummary | undefined;
  /** The client as the transport sees it. */
  readonly peer: {
    /** Its remote address, when the transport knows it. */
    readonly address: string | undefined;
    /** Whether the connection is TLS. */
    readonly tls: boolean;
    /** The verified client certificate's URI then DNS SANs (the first `STATUS_LIMITS.maxIdentities`). */
    readonly identities: readonly string[];
  };
  /** Milliseconds since the epoch. */
  readonly openedAt: number;
  /** The types the client asked for: the first `STATUS_LIMITS.maxTypesPerStream`. */
  readonly types: readonly TypeStatus[];
  /** How many types the client asked for (all of them, not only those listed). */
  readonly typeCount: number;
}

const text = (value: string): string => capText(value, STATUS_LIMITS.maxTextLength);
const epoch = (at: number): number => Math.round(performance.timeOrigin + at);

function nodeSummary(node: Node | undefined): NodeSummary | undefined {
  if (node === undefined) return undefined;
  const version =
    node.userAgentVersionType.case === "userAgentVersion"
      ? node.userAgentVersionType.value
      : node.userAgentVersionType.case === "userAgentBuildVersion"
        ? `${node.userAgentVersionType.value.version?.majorNumber ?? 0}.${node.userAgentVersionType.value.version?.minorNumber ?? 0}.${node.userAgentVersionType.value.version?.patch ?? 0}`
        : "";
  const locality = node.locality;
  return {
    id: text(node.id),
    cluster: text(node.cluster),
    locality:
      locality === undefined ? undefined : { region: text(locality.region), zone: text(locality.zone), subZone: text(locality.subZone) },
    userAgent: text(version === "" ? node.userAgentName : `${node.userAgentName}/${version}`),
  };
}

/** The state of a type from its record. */
export function typeStateOf(state: TypeStreamState): TypeState {
  const nonce = state.lastNonce;
  if (nonce === undefined) return "requested";
  if (state.lastNack?.nonce === nonce) return "nacked";
  if (state.ackedNonce === nonce) return "acked";
  return "pending";
}

/** The client status of one stream, built from its records (see `ServerContext.clientStatus`). */
export function streamStatus(stream: StreamState, options: { readonly resources?: boolean | undefined }): StreamStatus {
  const peer = stream.peer;
  const identities = peer?.tls === true ? certificateIdentities(peer) : [];
  const types: TypeStatus[] = [];
  for (const state of stream.types.values()) {
    if (types.length >= STATUS_LIMITS.maxTypesPerStream) break;
    types.push(typeStatus(stream, state, options.resources === true));
  }
  return {
    streamId: stream.id,
    protocol: stream.protocol,
    typeUrl: stream.typeUrl,
    node: nodeSummary(stream.node),
    peer: {
      address: peer?.address,
      tls: peer?.tls === true,
      identities: identities.slice(0, STATUS_LIMITS.maxIdentities).map(text),
    },
    openedAt: epoch(stream.openedAt),
    types,
    typeCount: stream.types.size,
  };
}

function typeStatus(stream: StreamState, state: TypeStreamState, withResources: boolean): TypeStatus {
  const subscription = state.subscription;
  const names: string[] = [];
  const subscribed = subscription.resourceNames();
  for (const name of subscribed) {
    if (names.length >= STATUS_LIMITS.maxNamesPerType) break;
    if (name !== WILDCARD_RESOURCE_NAME) names.push(text(name));
  }
  const nonce = state.lastNonce;
  const nack = state.lastNack;
  const status: TypeStatus = {
    typeUrl: text(state.typeUrl),
    state: typeStateOf(state),
    wildcard: subscription.isWildcard(),
    names,
    nameCount: subscribed.has(WILDCARD_RESOURCE_NAME) ? subscribed.size - 1 : subscribed.size,
    sent: nonce === undefined ? undefined : { version: state.lastVersion, nonce, at: epoch(state.sentAt), resources: state.lastResources.length },
    acked: state.ackedNonce === undefined ? undefined : { version: state.ackedVersion, nonce: state.ackedNonce, at: epoch(state.ackedAt) },
    nack:
      nack === undefined
        ? undefined
        : { version: nack.version, nonce: nack.nonce, code: nack.code, message: nack.message, at: epoch(nack.at), current: nack.nonce === nonce },
  };
  if (!withResources) return status;
  return { ...status, resources: stream.protocol === "sotw" ? sotwResources(state, status.state) : deltaResources(state, status.state) };
}

const byName = (resources: readonly CachedResource[]): Map<string, CachedResource> => new Map(resources.map((r) => [r.name, r]));

// SotW: the last response holds every resource of the type the client should
// have; the client holds the last ACKed one until it ACKs a newer one.
function sotwResources(state: TypeStreamState, typeState: TypeState): ResourceStatus[] {
  const out: ResourceStatus[] = [];
  const seen = new Set<string>();
  const held = typeState === "acked" ? byName(state.lastResources) : byName(state.ackedResources);
  const heldVersion = state.ackedVersion;
  if (state.lastNonce !== undefined) {
    for (const resource of state.lastResources) {
      seen.add(resource.name);
      const mine = held.get(resource.name);
      if (typeState === "acked") {
        out.push({ name: resource.name, version: state.lastVersion, state: "acked", held: resource, sent: undefined });
      } else {
        out.push({ name: resource.name, version: mine === undefined ? "" : heldVersion, state: typeState, held: mine, sent: resource });
      }
    }
    // Held from the ACKed version, gone from the newer one the client has not accepted.
    if (typeState !== "acked") {
      for (const resource of state.ackedResources) {
        if (seen.has(resource.name)) continue;
        seen.add(resource.name);
        out.push({ name: resource.name, version: heldVersion, state: "acked", held: resource, sent: undefined });
      }
    }
  }
  addUnsent(out, seen, state);
  return out;
}

// Delta: the subscription's returned resources are what the client holds
// once it applies the last response; the last response carries the changes.
function deltaResources(state: TypeStreamState, typeState: TypeState): ResourceStatus[] {
  const out: ResourceStatus[] = [];
  const seen = new Set<string>();
  const last = byName(state.lastResources);
  const acked = byName(state.ackedResources);
  const anyAck = state.ackedNonce !== undefined;
  for (const [name, version] of state.subscription.returnedResources()) {
    if (out.length >= STATUS_LIMITS.maxNamesPerType + state.lastResources.length) break;
    seen.add(name);
    if (version === ABSENT_RESOURCE_VERSION) {
      out.push({ name: text(name), version: "", state: "does-not-exist", held: undefined, sent: undefined });
      continue;
    }
    const sent = last.get(name);
    if (sent !== undefined && typeState !== "acked") {
      out.push({ name: text(name), version: typeState === "nacked" ? "" : version, state: typeState, held: acked.get(name), sent });
    } else {
      out.push({ name: text(name), version, state: sent !== undefined || anyAck ? "acked" : "pending", held: sent ?? acked.get(name), sent: undefined });
    }
  }
  addUnsent(out, seen, state);
  return out;
}

// Names subscribed by name and not sent: `does-not-exist` once a response
// showed the client the type without them, else still `requested`.
function addUnsent(out: ResourceStatus[], seen: Set<string>, state: TypeStreamState): void {
  const answered = state.lastNonce !== undefined;
  let listed = 0;
  for (const name of state.subscription.resourceNames()) {
    if (name === WILDCARD_RESOURCE_NAME || seen.has(name)) continue;
    if (listed >= STATUS_LIMITS.maxNamesPerType) break;
    listed += 1;
    out.push({ name: text(name), version: "", state: answered ? "does-not-exist" : "requested", held: undefined, sent: undefined });
  }
}
