import { create, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, DurationSchema } from "@bufbuild/protobuf/wkt";
import { type CachedResource, RESOURCE_WRAPPER_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import {
  type DiscoveryResponse,
  DiscoveryResponseSchema,
  ResourceSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

interface Wrapped {
  full?: Any;
  heartbeat?: Any;
}

// A TTL resource goes out wrapped in a Resource message; the wrapper is built
// once per resource version and kind, not per stream.
const wrappers = new WeakMap<CachedResource, Wrapped>();

function wrapped(resource: CachedResource, ttlMs: number, heartbeat: boolean): Any {
  let entry = wrappers.get(resource);
  if (entry === undefined) {
    entry = {};
    wrappers.set(resource, entry);
  }
  const known = heartbeat ? entry.heartbeat : entry.full;
  if (known !== undefined) return known;
  const seconds = Math.floor(ttlMs / 1000);
  const wrapper = create(ResourceSchema, {
    name: resource.name,
    version: resource.hash,
    ttl: create(DurationSchema, { seconds: BigInt(seconds), nanos: Math.round((ttlMs - seconds * 1000) * 1e6) }),
    ...(heartbeat ? {} : { resource: resource.any }),
  });
  const any = create(AnySchema, { typeUrl: RESOURCE_WRAPPER_TYPE_URL, value: toBinary(ResourceSchema, wrapper) });
  if (heartbeat) entry.heartbeat = any;
  else entry.full = any;
  return any;
}

/** The `Any` a SotW response carries for a resource: its cached `any`, or the TTL wrapper. */
export function resourceAny(resource: CachedResource, heartbeat: boolean): Any {
  const ttlMs = resource.ttlMs;
  return ttlMs === undefined ? resource.any : wrapped(resource, ttlMs, heartbeat);
}

/**
 * Builds the DiscoveryResponse for a cache answer. Resources are the cache's
 * `Any` messages as they are, sharing their marshalled bytes: nothing is
 * re-encoded per stream.
 */
export function encodeSotwResponse(response: SotwResponse, nonce: string): DiscoveryResponse {
  const resources: Any[] = [];
  for (const resource of response.resources) resources.push(resourceAny(resource, response.heartbeat));
  const message = create(DiscoveryResponseSchema, { versionInfo: response.version, typeUrl: response.typeUrl, nonce });
  message.resources = resources;
  return message;
}
