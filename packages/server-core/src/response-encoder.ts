import {
  type CachedResource,
  type DeltaResponse,
  RESOURCE_WRAPPER_TYPE_URL,
  type ResourceErrorReport,
  type SotwResponse,
  VIRTUAL_HOST_TYPE_URL,
} from "@xdskit/cache-core";
import { durationBytes } from "./duration-bytes.js";
import type { ResponseChunks } from "./protocol-stream.js";
import { allocateUnsafe, smallFieldSize, utf8Size, WireWriter, writeBytesField, writeStringField } from "./wire-writer.js";

// Tags (field number << 3 | length-delimited) of the response fields written directly.
const TAG_VERSION = 0x0a; // version_info / system_version_info = 1
const TAG_RESOURCES = 0x12; // resources = 2
const TAG_TYPE_URL = 0x22; // type_url = 4
const TAG_NONCE = 0x2a; // nonce = 5
const TAG_REMOVED = 0x32; // removed_resources = 6 (delta)
const SOTW_RESOURCE_ERRORS = 7; // DiscoveryResponse.resource_errors
const DELTA_RESOURCE_ERRORS = 9; // DeltaDiscoveryResponse.resource_errors

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

// ResourceError{resource_name: ResourceName{name 1} 1, error_detail: google.rpc.Status{code 1, message 2} 2},
// encoded once per report: a cache hands the same report to every stream it answers.
const errorBytes = new WeakMap<ResourceErrorReport, Uint8Array>();

function resourceErrorBytes(report: ResourceErrorReport): Uint8Array {
  let bytes = errorBytes.get(report);
  if (bytes === undefined) {
    const name = new WireWriter().string(1, report.name).finish();
    const status = new WireWriter().varint(1, report.code).string(2, report.message).finish();
    bytes = new WireWriter().bytes(1, name).bytes(2, status).finish();
    errorBytes.set(report, bytes);
  }
  return bytes;
}

/** The `resource_errors` entries of a response as encoded fields, or `undefined` when it has none. */
function resourceErrorsField(errors: readonly ResourceErrorReport[] | undefined, field: number): Uint8Array | undefined {
  if (errors === undefined || errors.length === 0) return undefined;
  const writer = new WireWriter();
  for (const report of errors) writer.bytes(field, resourceErrorBytes(report));
  return writer.finish();
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
 * (version_info 1, resources 2, type_url 4, nonce 5, resource_errors 7) from each resource's
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
  const errors = resourceErrorsField(response.errors, SOTW_RESOURCE_ERRORS);
  if (body === undefined || body.length < SHARED_BODY_BYTES) {
    const writer = new WireWriter().string(1, response.version);
    if (body === undefined) {
      const heartbeat = response.heartbeat;
      for (const resource of response.resources) writer.bytes(2, sotwResourceBytes(resource, heartbeat));
    } else if (body.length > 0) {
      writer.raw(body);
    }
    writer.string(4, response.typeUrl).string(5, nonce);
    if (errors !== undefined) writer.raw(errors);
    return [writer.finish(headroom)];
  }
  // Head (headroom, version) and tail (type URL, nonce) in one small buffer, the body shared.
  const { version, typeUrl } = response;
  const versionSize = utf8Size(version);
  const typeUrlSize = utf8Size(typeUrl);
  const nonceSize = utf8Size(nonce);
  const headEnd = headroom + (versionSize > 0 ? smallFieldSize(versionSize) : 0);
  const tailEnd = headEnd + (typeUrlSize > 0 ? smallFieldSize(typeUrlSize) : 0) + (nonceSize > 0 ? smallFieldSize(nonceSize) : 0);
  const end = tailEnd + (errors === undefined ? 0 : errors.length);
  const out = allocateUnsafe(end);
  zeroHeadroom(out, headroom);
  if (versionSize > 0) writeStringField(out, headroom, TAG_VERSION, version, versionSize);
  let at = headEnd;
  if (typeUrlSize > 0) at = writeStringField(out, at, TAG_TYPE_URL, typeUrl, typeUrlSize);
  if (nonceSize > 0) writeStringField(out, at, TAG_NONCE, nonce, nonceSize);
  if (errors !== undefined) out.set(errors, tailEnd);
  return [out.subarray(0, headEnd), body, out.subarray(headEnd)];
}

const NO_BODILESS: readonly Uint8Array[] = [];

// The transport's few bytes of headroom, zeroed: a loop, as Buffer#fill checks its arguments on every call.
function zeroHeadroom(out: Uint8Array, headroom: number): void {
  for (let i = 0; i < headroom; i++) out[i] = 0;
}

/**
 * The `DeltaDiscoveryResponse` of a cache answer, written in field order
 * (system_version_info 1, resources 2, type_url 4, nonce 5,
 * removed_resources 6, resource_errors 9), each resource at its hash. Byte-identical to
 * protobuf-es `toBinary`; `headroom` as for {@link encodeSotwResponse}.
 */
export function encodeDeltaResponse(response: DeltaResponse, nonce: string, headroom = 0): Uint8Array {
  // Sized, then written straight into one buffer: a delta response is small and made per
  // stream, so no intermediate field list is built.
  const { systemVersion, typeUrl, resources, removed } = response;
  const unresolved = unresolvedNames(response);
  // Resource{name 3, aliases 4} without a body, per unresolved name (VHDS only).
  const bodiless = unresolved === undefined ? NO_BODILESS : [...unresolved].map((name) => new WireWriter().string(3, name).repeatedString(4, name).finish(0));
  const versionSize = utf8Size(systemVersion);
  const typeUrlSize = utf8Size(typeUrl);
  const nonceSize = utf8Size(nonce);
  const errors = resourceErrorsField(response.errors, DELTA_RESOURCE_ERRORS);
  let size = headroom + (errors === undefined ? 0 : errors.length);
  if (versionSize > 0) size += smallFieldSize(versionSize);
  for (const resource of resources) size += smallFieldSize(deltaResourceBytes(resource).length);
  for (const bytes of bodiless) size += smallFieldSize(bytes.length);
  if (typeUrlSize > 0) size += smallFieldSize(typeUrlSize);
  if (nonceSize > 0) size += smallFieldSize(nonceSize);
  for (const name of removed) if (unresolved?.has(name) !== true) size += smallFieldSize(utf8Size(name));
  const out = allocateUnsafe(size);
  zeroHeadroom(out, headroom);
  let at = headroom;
  if (versionSize > 0) at = writeStringField(out, at, TAG_VERSION, systemVersion, versionSize);
  for (const resource of resources) at = writeBytesField(out, at, TAG_RESOURCES, deltaResourceBytes(resource));
  for (const bytes of bodiless) at = writeBytesField(out, at, TAG_RESOURCES, bytes);
  if (typeUrlSize > 0) at = writeStringField(out, at, TAG_TYPE_URL, typeUrl, typeUrlSize);
  if (nonceSize > 0) at = writeStringField(out, at, TAG_NONCE, nonce, nonceSize);
  for (const name of removed) if (unresolved?.has(name) !== true) at = writeStringField(out, at, TAG_REMOVED, name, utf8Size(name));
  if (errors !== undefined) out.set(errors, at);
  return out;
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

/**
 * The answer as sent when the server leaves `resource_errors` out
 * (`resourceErrors: false`): the same answer without `errors`. Record the
 * answer as sent first: what a client was told includes its errors.
 */
export function withoutResourceErrors<R extends SotwResponse | DeltaResponse>(response: R, send: boolean): R {
  if (send || response.errors === undefined) return response;
  return { ...response, errors: undefined };
}
