import type { Message } from "@bufbuild/protobuf";
import { CacheError, defaultResourceTypes, prepareResource, type CachedResource, type ResourceTypeRegistry } from "@xdskit/cache-core";
import { fail, subject } from "./validate.js";

/**
 * Resource messages grouped by type URL, as the builders make them and a
 * snapshot holds them (`createSnapshot` of `@xdskit/cache-snapshot` takes
 * this shape).
 */
export type MessagesByType = Readonly<Record<string, readonly Message[]>>;

/** Options of {@link prepareResources}. */
export interface PrepareResourcesOptions {
  /** Where resource types (schemas, names, references) are looked up. Default: cache-core's built-in types. */
  readonly types?: ResourceTypeRegistry | undefined;
}

/** What errors of a whole set name as the resource type. */
export const RESOURCE_SET = "MessagesByType";

/**
 * The resources as cache-core `CachedResource`s (marshalled lazily, once),
 * grouped by the same type URLs, ready for a cache.
 *
 * @throws {BuilderError} `invalid-value` for a message of the wrong or an unknown type, `invalid-name` for one without a name.
 */
export function prepareResources(resources: MessagesByType, opts: PrepareResourcesOptions = {}): Record<string, CachedResource[]> {
  const types = opts.types ?? defaultResourceTypes;
  const out: Record<string, CachedResource[]> = {};
  for (const [typeUrl, messages] of Object.entries(resources)) {
    const s = subject(RESOURCE_SET, undefined);
    const type = types.get(typeUrl);
    if (type === undefined) fail(s, "invalid-value", typeUrl, "is not a known resource type; register it in `types`");
    out[typeUrl] = messages.map((message, i) => {
      try {
        return prepareResource(type.schema, message, { typeUrl, types });
      } catch (cause) {
        const code = cause instanceof CacheError && cause.code === "resource-name" ? "invalid-name" : "invalid-value";
        const why = cause instanceof Error ? cause.message : String(cause);
        return fail(s, code, `${typeUrl}[${i}]`, why, cause);
      }
    });
  }
  return out;
}
