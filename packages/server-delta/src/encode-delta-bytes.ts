import type { CachedResource, DeltaResponse } from "@xdskit/cache-core";
import { durationBytes, WireWriter } from "@xdskit/server-core";

interface ResourceBytes {
  readonly version: string;
  readonly bytes: Uint8Array;
}

// The encoded Resource wrapper of a resource at its own hash version is the
// same for every stream: encoded once, on first use, then shared.
const encoded = new WeakMap<CachedResource, ResourceBytes>();

// envoy.service.discovery.v3.Resource{version 1, resource 2 (Any), name 3, ttl 6}.
function encode(resource: CachedResource, version: string): Uint8Array {
  const any = resource.any;
  const anyWriter = new WireWriter().string(1, any.typeUrl);
  if (any.value.length > 0) anyWriter.bytes(2, any.value);
  const writer = new WireWriter().string(1, version).bytes(2, anyWriter.finish()).string(3, resource.name);
  const ttlMs = resource.ttlMs;
  if (ttlMs !== undefined) writer.bytes(6, durationBytes(ttlMs));
  return writer.finish();
}

/** The encoded delta `Resource` of a cached resource at a version; cached when the version is its hash. */
export function deltaResourceBytes(resource: CachedResource, version: string): Uint8Array {
  if (version !== resource.hash) return encode(resource, version);
  const known = encoded.get(resource);
  if (known !== undefined) return known.bytes;
  const bytes = encode(resource, version);
  encoded.set(resource, { version, bytes });
  return bytes;
}

/**
 * The `DeltaDiscoveryResponse` of a cache answer, encoded by hand in field
 * order (system_version_info 1, resources 2, type_url 4, nonce 5,
 * removed_resources 6) from each resource's cached `Resource` bytes. The
 * bytes equal `toBinary` of {@link encodeDeltaResponse}'s message. `headroom`
 * bytes are left zero at the start for a transport's frame header.
 */
export function encodeDeltaResponseBytes(response: DeltaResponse, nonce: string, headroom = 0): Uint8Array {
  const writer = new WireWriter().string(1, response.systemVersion);
  const versions = response.nextVersionMap;
  for (const resource of response.resources) {
    writer.bytes(2, deltaResourceBytes(resource, versions.get(resource.name) ?? resource.hash));
  }
  writer.string(4, response.typeUrl).string(5, nonce);
  for (const name of response.removed) writer.repeatedString(6, name);
  return writer.finish(headroom);
}
