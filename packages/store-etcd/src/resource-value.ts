import { fromBinary, ScalarType, type Message, type Registry } from "@bufbuild/protobuf";
import {
  defaultResourceTypes,
  prepareResource,
  TYPE_URL_PREFIX,
  type CachedResource,
  type ResourceTypeRegistry,
} from "@xdskit/cache-core";
import type { Validator } from "@xdskit/validate/policy";
import { EtcdStoreError } from "./etcd-store-error.js";
import type { ResourceKey } from "./key-layout.js";

/** How values are turned into resources and checked; shared by writers and mirrors. */
export interface ResourceCodecOptions {
  /** Where schemas and names of types come from. Default: the built-in Envoy types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Passed to deterministic marshalling to canonicalize `Any` contents. Default: none. */
  readonly registry?: Registry | undefined;
  /**
   * Checks every resource read or written beyond "it decodes": a `Validator`
   * from `@xdskit/validate` (PGV rules through every `Any`, resource checks).
   * Writers refuse a resource with violations; mirrors log it with its key and
   * keep serving the last good value. Default: none (decode checks only).
   */
  readonly validate?: Validator | undefined;
}

const where = (key: ResourceKey): string => `${key.typeUrl.slice(key.typeUrl.lastIndexOf(".") + 1)} "${key.name}" of group "${key.group}"`;

function invalid(key: ResourceKey, why: string, cause?: unknown): EtcdStoreError {
  return new EtcdStoreError("invalid-resource", `${where(key)}: ${why}`, {
    group: key.group,
    typeUrl: key.typeUrl,
    resourceName: key.name,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The name a message gives itself (`""` when its name is empty), or `undefined` when its type has no name. */
function ownName(resource: CachedResource, types: ResourceTypeRegistry): string | undefined {
  const { schema, message, typeUrl } = resource;
  if (schema === undefined || message === undefined) return undefined;
  const nameOf = types.get(typeUrl)?.nameOf;
  if (nameOf !== undefined) return nameOf(message);
  const field = schema.fields.find((f) => f.name === "name" && f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
  if (field === undefined) return undefined;
  const value: unknown = (message as unknown as Record<string, unknown>)[field.localName];
  return typeof value === "string" ? value : undefined;
}

function check(key: ResourceKey, resource: CachedResource, options: ResourceCodecOptions): CachedResource {
  const types = options.types ?? defaultResourceTypes;
  const own = ownName(resource, types);
  if (own !== undefined && own !== key.name) {
    throw invalid(key, own === "" ? "its name field is empty" : `it names itself "${own}"`);
  }
  const violations = options.validate?.validateResource(key.typeUrl, key.name, resource.message ?? resource.bytes).violations ?? [];
  if (violations.length > 0) {
    throw invalid(key, violations.map((v) => `${v.field === "" ? "" : `${v.field}: `}${v.message} (${v.rule})`).join("; "));
  }
  return resource;
}

/**
 * Decodes a stored value as the resource its key names, checking that it
 * decodes as the key's type with no unknown top-level fields, that the name
 * inside matches the key, and the validator.
 *
 * @throws {EtcdStoreError} `invalid-resource` naming the resource and why.
 */
export function decodeResourceValue(key: ResourceKey, value: Uint8Array, options: ResourceCodecOptions = {}): CachedResource {
  const types = options.types ?? defaultResourceTypes;
  const type = types.get(key.typeUrl);
  if (type === undefined) throw invalid(key, `type "${key.typeUrl}" is not registered (options.types)`);
  let message: Message;
  try {
    message = fromBinary(type.schema, value);
  } catch (error) {
    throw invalid(key, `the value (${value.length} bytes) does not decode as ${type.schema.typeName}: ${(error as Error).message}`, error);
  }
  const unknown = (message as { $unknown?: readonly { no: number }[] }).$unknown;
  if (unknown !== undefined && unknown.length > 0) {
    throw invalid(key, `the value has fields ${type.schema.typeName} does not define (numbers ${[...new Set(unknown.map((u) => u.no))].join(", ")})`);
  }
  let resource: CachedResource;
  try {
    resource = prepareResource(type.schema, message, {
      name: key.name,
      typeUrl: key.typeUrl,
      types,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    });
  } catch (error) {
    throw invalid(key, (error as Error).message, error);
  }
  return check(key, resource, options);
}

/** A resource to write: a message of a registered type, or one already prepared. */
export type ResourceInput = Message | CachedResource;

function isPrepared(input: ResourceInput): input is CachedResource {
  return !("$typeName" in input);
}

/**
 * Prepares a resource for writing into `group` and checks it the way mirrors
 * will (its bytes decode, its name, the validator), so what a writer accepts
 * every mirror serves.
 *
 * @throws {EtcdStoreError} `invalid-resource` naming the resource and why.
 */
export function encodeResource(group: string, input: ResourceInput, options: ResourceCodecOptions = {}): CachedResource {
  const types = options.types ?? defaultResourceTypes;
  let resource: CachedResource;
  if (isPrepared(input)) {
    resource = input;
  } else {
    const typeUrl = TYPE_URL_PREFIX + input.$typeName;
    const type = types.get(typeUrl);
    if (type === undefined) {
      throw new EtcdStoreError("invalid-resource", `cannot write a ${input.$typeName} to group "${group}": type "${typeUrl}" is not registered (options.types)`, {
        group,
        typeUrl,
      });
    }
    try {
      resource = prepareResource(type.schema, input, { types, ...(options.registry === undefined ? {} : { registry: options.registry }) });
    } catch (error) {
      throw new EtcdStoreError("invalid-resource", `cannot write a ${input.$typeName} to group "${group}": ${(error as Error).message}`, {
        group,
        typeUrl,
        cause: error,
      });
    }
  }
  const key = { group, typeUrl: resource.typeUrl, name: resource.name };
  // Round-trip through the bytes a mirror will read: catches raw resources that do not decode.
  decodeResourceValue(key, resource.bytes, options);
  return resource;
}
