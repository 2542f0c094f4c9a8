import { fromBinary } from "@bufbuild/protobuf";
import { CacheError } from "./cache-error.js";
import type { CachedResource } from "./cached-resource.js";
import { defaultResourceTypes, resourceReferences, type ResourceTypeRegistry } from "./resource-type-registry.js";

/**
 * The union of the references of many resources (type URL → names), for
 * consistency checks such as "every cluster's assignment is in the snapshot".
 * Raw resources are decoded with their registered schema; raw resources of
 * unregistered types reference nothing.
 *
 * @throws {CacheError} `invalid-resource` when a raw resource does not decode.
 */
export function collectReferences(
  resources: Iterable<CachedResource>,
  types: ResourceTypeRegistry = defaultResourceTypes,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const resource of resources) {
    let schema = resource.schema;
    let message = resource.message;
    if (schema === undefined || message === undefined) {
      schema = types.get(resource.typeUrl)?.schema;
      if (schema === undefined) continue;
      try {
        message = fromBinary(schema, resource.bytes);
      } catch (cause) {
        throw new CacheError("invalid-resource", `resource "${resource.name}" of type "${resource.typeUrl}" does not decode`, {
          typeUrl: resource.typeUrl,
          resourceName: resource.name,
          cause,
        });
      }
    }
    for (const [typeUrl, names] of resourceReferences(schema, message, { typeUrl: resource.typeUrl, types })) {
      let into = out.get(typeUrl);
      if (into === undefined) {
        into = new Set();
        out.set(typeUrl, into);
      }
      for (const name of names) into.add(name);
    }
  }
  return out;
}
