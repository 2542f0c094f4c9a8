import { type CachedResource, type DeltaResponse, RESOURCE_WRAPPER_TYPE_URL, type SotwResponse, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { durationBytes } from "./duration-bytes.js";
import { WireWriter } from "./wire-writer.js";

// The encoded forms a resource goes out in, each encoded on first use and
// then shared by every response and stream that carries the resource.
interface WireForms {
  /** `Any{type_url, value}`: SotW without TTL, and inside every wrapper. */
  any?: Uint8Array;
  /** The TTL wrapper `Resource` with its body (SotW), and its `Any`. */
  ttlBody?: Uint8Array;
  ttlAny?: Uint8Array;
  /** The TTL wrapper `Resource` without a body (SotW heartbeat), and its `Any`. */
  heartbeatBody?: Uint8Array;
  heartbeatAny?: Uint8Array;
  /** The delta `Resource` at the resource's own hash version. */
  delta?: Uint8Array;
}

const cache = new WeakMap<CachedResource, WireForms>();

function formsOf(resource: CachedResource): WireForms {
  let forms = cache.get(resource);
  if (forms === undefined) {
    forms = {};
    cache.set(resource, forms);
  }
  return forms;
}

function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  const writer = new WireWriter().string(1, typeUrl);
  if (value.length > 0) writer.bytes(2, value);
  return writer.finish();
}

function anyBytes(resource: CachedResource, forms: WireForms): Uint8Array {
  if (forms.any === undefined) {
    const any = resource.any;
    forms.any = encodeAny(any.typeUrl, any.value);
  }
  return forms.any;
}

// envoy.service.discovery.v3.Resource{version 1, resource 2, name 3, ttl 6}.
function encodeResource(resource: CachedResource, version: string, any: Uint8Array | undefined): Uint8Array {
  const writer = new WireWriter().string(1, version);
  if (any !== undefined) writer.bytes(2, any);
  writer.string(3, resource.name);
  const ttlMs = resource.ttlMs;
  if (ttlMs !== undefined) writer.bytes(6, durationBytes(ttlMs));
  return writer.finish();
}

/**
 * The body of the TTL wrapper a SotW response carries for a resource with a
 * TTL: `Resource{version: hash, resource, name, ttl}`, without `resource` on
 * heartbeats. `undefined` for a resource without a TTL.
 */
export function sotwWrapperBytes(resource: CachedResource, heartbeat: boolean): Uint8Array | undefined {
  if (resource.ttlMs === undefined) return undefined;
  const forms = formsOf(resource);
  if (heartbeat) {
    forms.heartbeatBody ??= encodeResource(resource, resource.hash, undefined);
    return forms.heartbeatBody;
  }
  forms.ttlBody ??= encodeResource(resource, resource.hash, anyBytes(resource, forms));
  return forms.ttlBody;
}

/** The encoded `Any` a SotW response carries for a resource: its `Any`, or the TTL wrapper. */
export function sotwResourceBytes(resource: CachedResource, heartbeat: boolean): Uint8Array {
  const forms = formsOf(resource);
  if (resource.ttlMs === undefined) return anyBytes(resource, forms);
  if (heartbeat) {
    forms.heartbeatAny ??= encodeAny(RESOURCE_WRAPPER_TYPE_URL, sotwWrapperBytes(resource, true) as Uint8Array);
    return forms.heartbeatAny;
  }
  forms.ttlAny ??= encodeAny(RESOURCE_WRAPPER_TYPE_URL, sotwWrapperBytes(resource, false) as Uint8Array);
  return forms.ttlAny;
}

/** The encoded delta `Resource{version, resource, name, ttl}` of a resource; shared when `version` is its hash. */
export function deltaResourceBytes(resource: CachedResource, version: string): Uint8Array {
  const forms = formsOf(resource);
  if (version !== resource.hash) return encodeResource(resource, version, anyBytes(resource, forms));
  forms.delta ??= encodeResource(resource, version, anyBytes(resource, forms));
  return forms.delta;
}

/**
 * The `DiscoveryResponse` of a cache answer, written in field order
 * (version_info 1, resources 2, type_url 4, nonce 5) from each resource's
 * shared encoded form: per response only the framing and three strings are
 * written. Byte-identical to protobuf-es `toBinary` of the same message.
 * `headroom` zero bytes come first, for a transport's frame header.
 */
export function encodeSotwResponse(response: SotwResponse, nonce: string, headroom = 0): Uint8Array {
  const writer = new WireWriter().string(1, response.version);
  const heartbeat = response.heartbeat;
  for (const resource of response.resources) writer.bytes(2, sotwResourceBytes(resource, heartbeat));
  return writer.string(4, response.typeUrl).string(5, nonce).finish(headroom);
}

/**
 * The `DeltaDiscoveryResponse` of a cache answer, written in field order
 * (system_version_info 1, resources 2, type_url 4, nonce 5,
 * removed_resources 6), each resource at its `nextVersionMap` version (its
 * hash when absent). Byte-identical to protobuf-es `toBinary`; `headroom` as
 * for {@link encodeSotwResponse}.
 */
export function encodeDeltaResponse(response: DeltaResponse, nonce: string, headroom = 0): Uint8Array {
  const writer = new WireWriter().string(1, response.systemVersion);
  const versions = response.nextVersionMap;
  for (const resource of response.resources) {
    writer.bytes(2, deltaResourceBytes(resource, versions.get(resource.name) ?? resource.hash));
  }
  const unresolved = unresolvedNames(response);
  if (unresolved !== undefined) {
    // Resource{name 3, aliases 4}: no body.
    for (const name of unresolved) writer.bytes(2, new WireWriter().string(3, name).repeatedString(4, name).finish(0));
  }
  writer.string(4, response.typeUrl).string(5, nonce);
  for (const name of response.removed) if (unresolved?.has(name) !== true) writer.repeatedString(6, name);
  return writer.finish(headroom);
}

/**
 * The names a delta response reports as `Resource`s without a body instead
 * of in `removed_resources`: VHDS's subscribed names that do not exist. Envoy
 * completes an on-demand virtual host request only on a resource naming it
 * (by name or alias); a removal leaves the HTTP request waiting.
 */
export function unresolvedNames(response: DeltaResponse): ReadonlySet<string> | undefined {
  const absent = response.absent;
  if (absent === undefined || absent.length === 0 || response.typeUrl !== VIRTUAL_HOST_TYPE_URL) return undefined;
  return new Set(absent);
}
