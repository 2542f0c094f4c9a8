import { type CachedResource, type DeltaResponse, RESOURCE_WRAPPER_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { durationBytes } from "./duration-bytes.js";
import type { ResponseChunks } from "./protocol-stream.js";
import { allocateUnsafe, WireWriter } from "./wire-writer.js";

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

/** The encoded delta `Resource{version: hash, resource, name, ttl}` of a resource, shared. */
export function deltaResourceBytes(resource: CachedResource): Uint8Array {
  const forms = formsOf(resource);
  forms.delta ??= encodeResource(resource, resource.hash, anyBytes(resource, forms));
  return forms.delta;
}

// The encoded `resources` (field 2) of a SotW response, per frozen resource list
// (see resourceListIndex) and kind: built once, shared by every stream sent the list.
interface ListBodies {
  plain?: Uint8Array;
  heartbeat?: Uint8Array;
}

const bodies = new WeakMap<readonly CachedResource[], ListBodies>();

/**
 * A shared body is written as its own chunk from this size up; a smaller one
 * is copied into the response, for which one buffer is cheaper to write
 * than three.
 */
const SHARED_BODY_BYTES = 4096;

function encodeResourcesField(resources: readonly CachedResource[], heartbeat: boolean): Uint8Array {
  const writer = new WireWriter();
  for (const resource of resources) writer.bytes(2, sotwResourceBytes(resource, heartbeat));
  return writer.finish();
}

// The shared body of a frozen list, or undefined for a list that is not frozen (it may be
// one stream's own pick, which nobody else is sent).
function sharedBody(resources: readonly CachedResource[], heartbeat: boolean): Uint8Array | undefined {
  if (!Object.isFrozen(resources)) return undefined;
  let forms = bodies.get(resources);
  if (forms === undefined) {
    forms = {};
    bodies.set(resources, forms);
  }
  if (heartbeat) {
    forms.heartbeat ??= encodeResourcesField(resources, true);
    return forms.heartbeat;
  }
  forms.plain ??= encodeResourcesField(resources, false);
  return forms.plain;
}

/**
 * The `DiscoveryResponse` of a cache answer, written in field order
 * (version_info 1, resources 2, type_url 4, nonce 5) from each resource's
 * shared encoded form. Byte-identical to protobuf-es `toBinary` of the same
 * message once its chunks are concatenated. `headroom` zero bytes come
 * first, for a transport's frame header.
 *
 * When the cache shares the resource list between watches (a frozen list:
 * every client of a snapshot type is sent the same one), the resources are
 * encoded once per list and that buffer is a chunk of every stream's
 * response: per stream only a head (headroom, version) and a tail (type
 * URL, nonce) are written, not the list again. Otherwise one chunk.
 */
export function encodeSotwResponse(response: SotwResponse, nonce: string, headroom = 0): ResponseChunks {
  const body = sharedBody(response.resources, response.heartbeat);
  const head = new WireWriter().string(1, response.version);
  if (body === undefined || body.length < SHARED_BODY_BYTES) {
    if (body === undefined) {
      const heartbeat = response.heartbeat;
      for (const resource of response.resources) head.bytes(2, sotwResourceBytes(resource, heartbeat));
    } else if (body.length > 0) {
      head.raw(body);
    }
    return [head.string(4, response.typeUrl).string(5, nonce).finish(headroom)];
  }
  const tail = new WireWriter().string(4, response.typeUrl).string(5, nonce);
  const headEnd = headroom + head.size;
  const out = allocateUnsafe(headEnd + tail.size);
  out.fill(0, 0, headroom);
  head.writeTo(out, headroom);
  tail.writeTo(out, headEnd);
  return [out.subarray(0, headEnd), body, out.subarray(headEnd)];
}

/**
 * The `DeltaDiscoveryResponse` of a cache answer, written in field order
 * (system_version_info 1, resources 2, type_url 4, nonce 5,
 * removed_resources 6), each resource at its hash. Byte-identical to
 * protobuf-es `toBinary`; `headroom` as for {@link encodeSotwResponse}.
 */
export function encodeDeltaResponse(response: DeltaResponse, nonce: string, headroom = 0): Uint8Array {
  const writer = new WireWriter().string(1, response.systemVersion);
  for (const resource of response.resources) writer.bytes(2, deltaResourceBytes(resource));
  writer.string(4, response.typeUrl).string(5, nonce);
  for (const name of response.removed) writer.repeatedString(6, name);
  return writer.finish(headroom);
}
