import { type CachedResource, RESOURCE_WRAPPER_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { durationBytes, WireWriter } from "@xdskit/server-core";

interface AnyBytes {
  plain?: Uint8Array;
  full?: Uint8Array;
  heartbeat?: Uint8Array;
}

// The encoded `Any` a resource goes out as, per resource and kind (plain, TTL
// wrapper with body, TTL heartbeat): computed on first use, then shared by
// every stream and every response that carries the resource.
const encoded = new WeakMap<CachedResource, AnyBytes>();

function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  const writer = new WireWriter().string(1, typeUrl);
  if (value.length > 0) writer.bytes(2, value);
  return writer.finish();
}

// envoy.service.discovery.v3.Resource{version 1, resource 2, name 3, ttl 6}, as
// the message path builds it: version is the resource hash, no body on heartbeats.
function encodeWrapper(resource: CachedResource, ttlMs: number, heartbeat: boolean): Uint8Array {
  const writer = new WireWriter().string(1, resource.hash);
  if (!heartbeat) writer.bytes(2, anyBytes(resource, false, true));
  writer.string(3, resource.name).bytes(6, durationBytes(ttlMs));
  return encodeAny(RESOURCE_WRAPPER_TYPE_URL, writer.finish());
}

function anyBytes(resource: CachedResource, heartbeat: boolean, plain: boolean): Uint8Array {
  let entry = encoded.get(resource);
  if (entry === undefined) {
    entry = {};
    encoded.set(resource, entry);
  }
  const ttlMs = resource.ttlMs;
  if (plain || ttlMs === undefined) {
    if (entry.plain === undefined) {
      const any = resource.any;
      entry.plain = encodeAny(any.typeUrl, any.value);
    }
    return entry.plain;
  }
  if (heartbeat) {
    entry.heartbeat ??= encodeWrapper(resource, ttlMs, true);
    return entry.heartbeat;
  }
  entry.full ??= encodeWrapper(resource, ttlMs, false);
  return entry.full;
}

/**
 * The encoded `Any` a SotW response carries for a resource (its `Any`, or
 * the TTL wrapper), computed once per resource and shared.
 */
export function resourceAnyBytes(resource: CachedResource, heartbeat: boolean): Uint8Array {
  return anyBytes(resource, heartbeat, false);
}

/**
 * The `DiscoveryResponse` of a cache answer, encoded by hand in field order
 * (version_info 1, resources 2, type_url 4, nonce 5) from each resource's
 * cached `Any` bytes: per response only the framing and three strings are
 * written. The bytes equal `toBinary` of {@link encodeSotwResponse}'s message.
 * `headroom` bytes are left zero at the start for a transport's frame header.
 */
export function encodeSotwResponseBytes(response: SotwResponse, nonce: string, headroom = 0): Uint8Array {
  const writer = new WireWriter().string(1, response.version);
  const heartbeat = response.heartbeat;
  for (const resource of response.resources) writer.bytes(2, anyBytes(resource, heartbeat, false));
  return writer.string(4, response.typeUrl).string(5, nonce).finish(headroom);
}
