import { ScalarType, type DescMessage, type Message, type MessageShape } from "@bufbuild/protobuf";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { TypedExtensionConfigSchema } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { LbEndpointSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_components_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { VirtualHostSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { CacheError } from "./cache-error.js";
import { clusterReferences, listenerReferences, scopedRouteReferences, type ResourceReferences } from "./resource-references.js";
import {
  CLUSTER_TYPE_URL,
  compareTypeUrls,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
  TYPE_URL_PREFIX,
  VIRTUAL_HOST_TYPE_URL,
} from "./type-urls.js";

/**
 * Describes one resource type: its type URL, its schema, and optionally how
 * to name a resource and what it references. Built-in Envoy types come
 * preregistered; register custom ones (any message with a type URL, such as
 * envoyproxy/ratelimit's RateLimitConfig) with {@link createResourceTypeRegistry}.
 */
export interface ResourceType<Desc extends DescMessage = DescMessage> {
  /** The type URL resources of this type are served under. */
  readonly typeUrl: string;
  /** The message schema, to encode resources and read their names and references. */
  readonly schema: Desc;
  /**
   * The resource name of a message. Default: its `name` string field.
   * Return `undefined` when no name can be derived (the caller then gets a
   * `resource-name` error unless it passed a name explicitly).
   */
  nameOf?(message: MessageShape<Desc>): string | undefined;
  /** What a message depends on (type URL → names). Default: nothing. */
  referencesOf?(message: MessageShape<Desc>): ResourceReferences;
}

/** Type-checks a {@link ResourceType} against its schema and widens it for a registry list. */
export function defineResourceType<Desc extends DescMessage>(type: ResourceType<Desc>): ResourceType {
  return type;
}

/** Resource types by type URL. Immutable; build a new one to add types. */
export interface ResourceTypeRegistry {
  /** The type registered for a type URL, if any. */
  get(typeUrl: string): ResourceType | undefined;
  /** Like {@link ResourceTypeRegistry.get}, but throws `unknown-type` naming the type URL when it is not registered. */
  require(typeUrl: string): ResourceType;
  /** Every registered type URL, in ADS response order (custom types last). */
  typeUrls(): readonly string[];
}

const builtinTypes: readonly ResourceType[] = [
  defineResourceType({ typeUrl: CLUSTER_TYPE_URL, schema: ClusterSchema, referencesOf: clusterReferences }),
  defineResourceType({ typeUrl: ENDPOINT_TYPE_URL, schema: ClusterLoadAssignmentSchema, nameOf: (cla) => cla.clusterName }),
  // LbEndpoint has no name field: LEDS names are assigned by the control plane.
  defineResourceType({ typeUrl: LB_ENDPOINT_TYPE_URL, schema: LbEndpointSchema, nameOf: () => undefined }),
  defineResourceType({ typeUrl: LISTENER_TYPE_URL, schema: ListenerSchema, referencesOf: listenerReferences }),
  defineResourceType({ typeUrl: ROUTE_TYPE_URL, schema: RouteConfigurationSchema }),
  defineResourceType({ typeUrl: SCOPED_ROUTE_TYPE_URL, schema: ScopedRouteConfigurationSchema, referencesOf: scopedRouteReferences }),
  defineResourceType({ typeUrl: VIRTUAL_HOST_TYPE_URL, schema: VirtualHostSchema }),
  defineResourceType({ typeUrl: SECRET_TYPE_URL, schema: SecretSchema }),
  defineResourceType({ typeUrl: RUNTIME_TYPE_URL, schema: RuntimeSchema }),
  defineResourceType({ typeUrl: EXTENSION_CONFIG_TYPE_URL, schema: TypedExtensionConfigSchema }),
];

class TypeRegistry implements ResourceTypeRegistry {
  readonly #types: ReadonlyMap<string, ResourceType>;
  readonly #urls: readonly string[];

  constructor(types: Iterable<ResourceType>) {
    const map = new Map<string, ResourceType>();
    for (const type of types) map.set(type.typeUrl, type);
    this.#types = map;
    this.#urls = Object.freeze([...map.keys()].sort(compareTypeUrls));
  }

  get(typeUrl: string): ResourceType | undefined {
    return this.#types.get(typeUrl);
  }

  require(typeUrl: string): ResourceType {
    const type = this.#types.get(typeUrl);
    if (type === undefined) {
      throw new CacheError("unknown-type", `unknown resource type "${typeUrl}"`, { typeUrl });
    }
    return type;
  }

  typeUrls(): readonly string[] {
    return this.#urls;
  }
}

/**
 * A registry of the built-in Envoy resource types plus `custom` ones. A
 * custom type with a built-in type URL replaces the built-in; later entries
 * replace earlier ones with the same type URL.
 */
export function createResourceTypeRegistry(custom: Iterable<ResourceType> = []): ResourceTypeRegistry {
  return new TypeRegistry([...builtinTypes, ...custom]);
}

/** The built-in Envoy resource types: the default wherever a registry is optional. */
export const defaultResourceTypes: ResourceTypeRegistry = /*@__PURE__*/ createResourceTypeRegistry();

/** Options shared by {@link resourceName} and {@link resourceReferences}. */
export interface ResourceTypeOptions {
  /** The type URL the resource is served under. Default: `type.googleapis.com/<schema type name>`. */
  readonly typeUrl?: string | undefined;
  /** Where to look the type up. Default: {@link defaultResourceTypes}. */
  readonly types?: ResourceTypeRegistry | undefined;
}

function lookup(schema: DescMessage, message: Message, options: ResourceTypeOptions): [string, ResourceType | undefined] {
  const typeUrl = options.typeUrl ?? TYPE_URL_PREFIX + schema.typeName;
  if (message.$typeName !== schema.typeName) {
    throw new CacheError("type-mismatch", `a ${message.$typeName} was given as a ${schema.typeName} (type "${typeUrl}")`, { typeUrl });
  }
  const type = (options.types ?? defaultResourceTypes).get(typeUrl);
  if (type !== undefined && type.schema.typeName !== schema.typeName) {
    throw new CacheError("type-mismatch", `type "${typeUrl}" is registered as ${type.schema.typeName}, not ${schema.typeName}`, { typeUrl });
  }
  return [typeUrl, type];
}

function nameField(schema: DescMessage, message: Message): string | undefined {
  const field = schema.fields.find((f) => f.name === "name" && f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
  if (field === undefined) return undefined;
  const value: unknown = (message as unknown as Record<string, unknown>)[field.localName];
  return typeof value === "string" ? value : undefined;
}

/**
 * The xDS resource name of a message: `cluster_name` for a
 * ClusterLoadAssignment, the registered `nameOf` for custom types, else the
 * `name` field.
 *
 * @throws {CacheError} `resource-name` naming the type when no name can be
 *   derived or it is empty; `type-mismatch` when message, schema and type URL disagree.
 */
export function resourceName<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options: ResourceTypeOptions = {},
): string {
  const [typeUrl, type] = lookup(schema, message, options);
  const name = type?.nameOf !== undefined ? type.nameOf(message) : nameField(schema, message);
  if (name === undefined) {
    throw new CacheError(
      "resource-name",
      `cannot derive a name for a resource of type "${typeUrl}": ${schema.typeName} has no name field; pass the name explicitly or register the type with nameOf`,
      { typeUrl },
    );
  }
  if (name === "") {
    throw new CacheError("resource-name", `a resource of type "${typeUrl}" has an empty name`, { typeUrl });
  }
  return name;
}

/**
 * What a resource depends on, as type URL → names (see {@link ResourceReferences}):
 * CDS→EDS, LDS→RDS, LDS→SRDS, SRDS→RDS for built-in types, the registered
 * `referencesOf` for custom types, nothing otherwise.
 *
 * @throws {CacheError} `type-mismatch` when message, schema and type URL
 *   disagree; `invalid-resource` when an embedded config does not decode.
 */
export function resourceReferences<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options: ResourceTypeOptions = {},
): ResourceReferences {
  const [, type] = lookup(schema, message, options);
  return type?.referencesOf?.(message) ?? new Map();
}
