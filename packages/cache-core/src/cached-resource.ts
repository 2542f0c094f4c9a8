import { create, type DescMessage, type Message, type MessageInitShape, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { AnySchema, type Any } from "@bufbuild/protobuf/wkt";
import { CacheError } from "./cache-error.js";
import { hashResource } from "./hash-resource.js";
import { marshalDeterministic } from "./marshal-deterministic.js";
import { resourceName, type ResourceTypeRegistry } from "./resource-type-registry.js";
import { TYPE_URL_PREFIX } from "./type-urls.js";
import { normalizeResourceName } from "./xdstp-name.js";

/**
 * One version of one resource, ready for the wire. Caches hold these and hand
 * them to servers; the bytes are marshalled (deterministically) at most once
 * and shared by every stream that sends this version, so a server builds
 * `Any{type_url, value}` (or uses {@link CachedResource.any}) without
 * re-encoding.
 *
 * Treat it, its message and its bytes as immutable: `bytes`, `hash` and `any`
 * are computed lazily on first access and then memoized.
 */
export interface CachedResource {
  /** The type URL the resource is served under. */
  readonly typeUrl: string;
  /** The xDS resource name; an `xdstp:` name in its canonical spelling (see `normalizeResourceName`). */
  readonly name: string;
  /** The schema of {@link CachedResource.message}; `undefined` for raw resources. */
  readonly schema: DescMessage | undefined;
  /** The decoded message; `undefined` for resources prepared from bytes. */
  readonly message: Message | undefined;
  /** The deterministic binary encoding: the `Any.value`. Do not mutate. */
  readonly bytes: Uint8Array;
  /** {@link hashResource} of {@link CachedResource.bytes}: the per-resource version used by delta xDS. */
  readonly hash: string;
  /** `Any{type_url: typeUrl, value: bytes}`, built once. Do not mutate. */
  readonly any: Any;
  /**
   * Time to live in milliseconds, or `undefined` for none. A server sends a
   * resource with a TTL wrapped in `envoy.service.discovery.v3.Resource{name,
   * ttl, resource}` (see RESOURCE_WRAPPER_TYPE_URL); on heartbeat responses
   * without the `resource` body.
   */
  readonly ttlMs: number | undefined;
  /** The same resource with another TTL, sharing the memoized bytes and hash. */
  withTtl(ttlMs: number | undefined): CachedResource;
}

/** Options of {@link prepareResource}. */
export interface PrepareResourceOptions {
  /** The resource name. Default: derived with {@link resourceName} (throws when it cannot be). */
  readonly name?: string | undefined;
  /** The type URL. Default: `type.googleapis.com/<schema type name>`. */
  readonly typeUrl?: string | undefined;
  /** Time to live in milliseconds (a positive finite number). Default: none. */
  readonly ttlMs?: number | undefined;
  /** Where custom types' `nameOf` is found. Default: the built-in types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Passed to {@link marshalDeterministic} to canonicalize Any contents. Default: none. */
  readonly registry?: Registry | undefined;
}

/** What {@link prepareRawResource} needs: a resource already encoded elsewhere. */
export interface RawResourceInit {
  /** The type URL the resource is served under. */
  readonly typeUrl: string;
  /** The xDS resource name. */
  readonly name: string;
  /** The encoded message. Used as is: encode deterministically if versions should be stable. */
  readonly bytes: Uint8Array;
  /** Time to live in milliseconds. Default: none. */
  readonly ttlMs?: number | undefined;
}

// Shared by a resource and its withTtl() copies, so the bytes stay marshalled once.
interface Encoding {
  bytes: Uint8Array | undefined;
  hash: string | undefined;
  any: Any | undefined;
  readonly encode: () => Uint8Array;
}

class PreparedResource implements CachedResource {
  readonly typeUrl: string;
  readonly name: string;
  readonly schema: DescMessage | undefined;
  readonly message: Message | undefined;
  readonly ttlMs: number | undefined;
  readonly #encoding: Encoding;

  constructor(
    typeUrl: string,
    name: string,
    schema: DescMessage | undefined,
    message: Message | undefined,
    ttlMs: number | undefined,
    encoding: Encoding,
  ) {
    this.typeUrl = typeUrl;
    this.name = name;
    this.schema = schema;
    this.message = message;
    this.ttlMs = checkTtl(ttlMs, typeUrl, name);
    this.#encoding = encoding;
  }

  get bytes(): Uint8Array {
    const enc = this.#encoding;
    if (enc.bytes === undefined) enc.bytes = enc.encode();
    return enc.bytes;
  }

  get hash(): string {
    const enc = this.#encoding;
    if (enc.hash === undefined) enc.hash = hashResource(this.bytes);
    return enc.hash;
  }

  get any(): Any {
    const enc = this.#encoding;
    if (enc.any === undefined) enc.any = create(AnySchema, { typeUrl: this.typeUrl, value: this.bytes });
    return enc.any;
  }

  withTtl(ttlMs: number | undefined): CachedResource {
    return new PreparedResource(this.typeUrl, this.name, this.schema, this.message, ttlMs, this.#encoding);
  }
}

function checkTtl(ttlMs: number | undefined, typeUrl: string, name: string): number | undefined {
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new CacheError("invalid-resource", `resource "${name}" of type "${typeUrl}" has an invalid TTL ${ttlMs} ms`, {
      typeUrl,
      resourceName: name,
    });
  }
  return ttlMs;
}

/**
 * Wraps a message as a {@link CachedResource}. `message` may be a message or
 * an init object (as for protobuf-es `create`). The name is derived (see
 * `resourceName`) unless given; marshalling happens on first use of `bytes`,
 * `hash` or `any`, once.
 *
 * @throws {CacheError} `resource-name` when no name is given and none can be
 *   derived; `type-mismatch` when the message is not of `schema`;
 *   `invalid-resource` for a bad TTL.
 */
export function prepareResource<Desc extends DescMessage>(
  schema: Desc,
  init: MessageShape<Desc> | MessageInitShape<Desc>,
  options: PrepareResourceOptions = {},
): CachedResource {
  const typeUrl = options.typeUrl ?? TYPE_URL_PREFIX + schema.typeName;
  const given: unknown = (init as { $typeName?: unknown }).$typeName;
  if (given !== undefined && given !== schema.typeName) {
    throw new CacheError("type-mismatch", `a ${String(given)} was given as a ${schema.typeName} (type "${typeUrl}")`, { typeUrl });
  }
  // create() returns an existing message as is.
  const message = create(schema, init as MessageInitShape<Desc>) as MessageShape<Desc>;
  let name = options.name;
  if (name === undefined) {
    name = resourceName(schema, message, options.types === undefined ? { typeUrl } : { typeUrl, types: options.types });
  } else if (name === "") {
    throw new CacheError("resource-name", `a resource of type "${typeUrl}" was given an empty name`, { typeUrl });
  }
  const marshalOptions = options.registry === undefined ? {} : { registry: options.registry };
  return new PreparedResource(typeUrl, normalizeResourceName(name), schema, message, options.ttlMs, {
    bytes: undefined,
    hash: undefined,
    any: undefined,
    encode: () => marshalDeterministic(schema, message, marshalOptions),
  });
}

/**
 * Wraps already-encoded bytes (for example relayed from another control
 * plane, or a type without a generated schema) as a {@link CachedResource}.
 *
 * @throws {CacheError} `resource-name` for an empty name; `invalid-resource` for a bad TTL.
 */
export function prepareRawResource(init: RawResourceInit): CachedResource {
  if (init.name === "") {
    throw new CacheError("resource-name", `a raw resource of type "${init.typeUrl}" was given an empty name`, {
      typeUrl: init.typeUrl,
    });
  }
  const bytes = init.bytes;
  return new PreparedResource(init.typeUrl, normalizeResourceName(init.name), undefined, undefined, init.ttlMs, {
    bytes,
    hash: undefined,
    any: undefined,
    encode: () => bytes,
  });
}

/** name → {@link CachedResource.hash} for a set of resources: the version map of delta xDS. */
export function versionMapOf(resources: Iterable<CachedResource>): Map<string, string> {
  const versions = new Map<string, string>();
  for (const resource of resources) versions.set(resource.name, resource.hash);
  return versions;
}
