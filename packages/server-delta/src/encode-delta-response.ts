import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import type { CachedResource, DeltaResponse } from "@xdskit/cache-core";
import {
  type DeltaDiscoveryResponse,
  DeltaDiscoveryResponseSchema,
  type Resource,
  ResourceSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

// The Resource wrapper of a resource at its own hash version is the same for
// every stream: build it once per resource version.
const wrappers = new WeakMap<CachedResource, Resource>();

function build(resource: CachedResource, version: string): Resource {
  const ttlMs = resource.ttlMs;
  const wrapper = create(ResourceSchema, { name: resource.name, version });
  wrapper.resource = resource.any;
  if (ttlMs !== undefined) {
    const seconds = Math.floor(ttlMs / 1000);
    wrapper.ttl = create(DurationSchema, { seconds: BigInt(seconds), nanos: Math.round((ttlMs - seconds * 1000) * 1e6) });
  }
  return wrapper;
}

/** The delta `Resource` for a cached resource at a version (its hash unless the cache says otherwise). */
export function deltaResource(resource: CachedResource, version: string): Resource {
  if (version !== resource.hash) return build(resource, version);
  let wrapper = wrappers.get(resource);
  if (wrapper === undefined) {
    wrapper = build(resource, version);
    wrappers.set(resource, wrapper);
  }
  return wrapper;
}

/**
 * Builds the DeltaDiscoveryResponse for a cache answer: each resource at its
 * `nextVersionMap` version, sharing the cache's marshalled bytes.
 */
export function encodeDeltaResponse(response: DeltaResponse, nonce: string): DeltaDiscoveryResponse {
  const resources: Resource[] = [];
  for (const resource of response.resources) {
    resources.push(deltaResource(resource, response.nextVersionMap.get(resource.name) ?? resource.hash));
  }
  const message = create(DeltaDiscoveryResponseSchema, {
    systemVersionInfo: response.systemVersion,
    typeUrl: response.typeUrl,
    nonce,
  });
  message.resources = resources;
  message.removedResources = [...response.removed];
  return message;
}
