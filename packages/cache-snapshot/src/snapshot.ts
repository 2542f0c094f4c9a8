import type { Message, Registry } from "@bufbuild/protobuf";
import {
  CacheError,
  compareTypeUrls,
  defaultResourceTypes,
  findInconsistencies,
  normalizeResourceName,
  prepareResource,
  type CachedResource,
  type ConsistencyOptions,
  type ResourceErrorDetail,
  type ResourceErrorReport,
  resourceErrorReport,
  type ResourceTypeRegistry,
} from "@xdskit/cache-core";
import { SnapshotError } from "./snapshot-error.js";
import { TypeResources } from "./type-resources.js";

/** A resource given to {@link createSnapshot}: a message of a registered type, or one already prepared. */
export type SnapshotResource = Message | CachedResource;

/** Resources of a snapshot by type URL. */
export type SnapshotResources = Readonly<Record<string, Iterable<SnapshotResource>>>;

/**
 * The version of a snapshot: one string for every type, or one per type URL.
 * With one string, types the snapshot holds nothing of are served empty at
 * that version, so a proxy waiting for, say, listeners gets an empty answer
 * instead of waiting forever. With a map, a type without a version is not
 * served at all: its watches stay open until a snapshot gives it one.
 */
export type SnapshotVersion = string | Readonly<Record<string, string>>;

/** Options of {@link createSnapshot}. */
export interface SnapshotOptions {
  /**
   * Time to live per resource, in milliseconds, as type URL → name → TTL.
   * Overrides a TTL the prepared resource already carries. Default: none
   * (prepared resources keep theirs).
   */
  readonly ttlMs?: Readonly<Record<string, Readonly<Record<string, number>>>> | undefined;
  /**
   * How messages are named and what they reference (custom types go here).
   * Default: the built-in Envoy types.
   */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Passed on to deterministic marshalling to canonicalize `Any` contents. Default: none. */
  readonly registry?: Registry | undefined;
  /**
   * Why names are not served, as type URL → name → `{ code, message }`
   * (a `google.rpc.Code` and a message; see `ResourceErrorDetail`): for a
   * name that does not exist (NOT_FOUND) or whose resource failed validation
   * (INVALID_ARGUMENT), fed for example from `@xdskit/validate` results.
   * Servers send them as `resource_errors` (xRFC TP3) to subscriptions that
   * name them, next to the usual behaviour for clients that do not read the
   * field (SotW: the name is left out; delta: it goes in `removed_resources`).
   * A name that also has a resource is served, and its error is not sent:
   * a response never names a resource both ways, and one that carries the
   * resource clears the client's error. The type must have a version.
   * Default: none.
   */
  readonly errors?: Readonly<Record<string, Readonly<Record<string, ResourceErrorDetail>>>> | undefined;
}

/**
 * An immutable, versioned set of resources for one group of proxies: what
 * they should see of every type. Made by {@link createSnapshot}, which
 * marshals every resource once; every node and watch it is served to shares
 * those bytes.
 */
export interface Snapshot {
  /** The type URLs the snapshot has resources or a version for, in ADS response order. */
  typeUrls(): readonly string[];
  /** The version of a type, or `undefined` when the snapshot does not serve it. */
  version(typeUrl: string): string | undefined;
  /** The resources of a type by name (empty when there are none). */
  resources(typeUrl: string): ReadonlyMap<string, CachedResource>;
  /** The errors of a type by name that are served: those of names without a resource (see `SnapshotOptions.errors`). */
  resourceErrors(typeUrl: string): ReadonlyMap<string, ResourceErrorReport>;
  /** The type registry the snapshot was built with (names, references, custom types). */
  readonly types: ResourceTypeRegistry;
  /**
   * Checks that the snapshot is self-contained, with cache-core's
   * `findInconsistencies`: every endpoint assignment (EDS) a cluster needs
   * and every route configuration (RDS) a listener or scoped route needs is
   * present, and there are no endpoint assignments or route configurations
   * nothing references. Custom types' references are checked for presence.
   * Scoped-route references from listeners are `"*"` or a locator, not
   * names, and are not checked.
   *
   * When another cache serves some types (a linear cache for EDS behind a
   * mux), name them: `consistent({ externalTypes: [ENDPOINT_TYPE_URL] })`
   * does not report the endpoints the clusters reference as missing.
   *
   * @param options `externalTypes`, extra `references` to check, and `types`
   *   (default: the registry the snapshot was built with).
   * @throws {SnapshotError} `inconsistent`, naming every missing and every
   *   extra resource of every type (see `inconsistencies`).
   */
  consistent(options?: ConsistencyOptions): void;
}

const emptyResources: ReadonlyMap<string, CachedResource> = new Map();
const emptyErrors: ReadonlyMap<string, ResourceErrorReport> = new Map();

/** The one implementation of {@link Snapshot}; caches reach its per-type data through {@link internalSnapshot}. */
class VersionedSnapshot implements Snapshot {
  readonly types: ResourceTypeRegistry;
  readonly #byType: Map<string, TypeResources>;
  readonly #version: string | undefined;
  readonly #typeUrls: readonly string[];

  constructor(byType: Map<string, TypeResources>, version: string | undefined, types: ResourceTypeRegistry) {
    this.#byType = byType;
    this.#version = version;
    this.types = types;
    this.#typeUrls = Object.freeze([...byType.keys()].sort(compareTypeUrls));
  }

  typeUrls(): readonly string[] {
    return this.#typeUrls;
  }

  /** The one version of every type, or `undefined` when the snapshot was made with a version per type. */
  get singleVersion(): string | undefined {
    return this.#version;
  }

  version(typeUrl: string): string | undefined {
    return this.#byType.get(typeUrl)?.version ?? this.#version;
  }

  resources(typeUrl: string): ReadonlyMap<string, CachedResource> {
    return this.#byType.get(typeUrl)?.byName ?? emptyResources;
  }

  resourceErrors(typeUrl: string): ReadonlyMap<string, ResourceErrorReport> {
    return this.#byType.get(typeUrl)?.errors ?? emptyErrors;
  }

  consistent(options: ConsistencyOptions = {}): void {
    const all = this.#typeUrls.flatMap((typeUrl) => [...this.resources(typeUrl).values()]);
    const inconsistencies = findInconsistencies(all, { ...options, types: options.types ?? this.types });
    if (inconsistencies.length === 0) return;
    const parts = inconsistencies.map((problem) => {
      const what: string[] = [];
      if (problem.missing.length > 0) what.push(`missing ${problem.missing.join(", ")}`);
      if (problem.extra.length > 0) what.push(`not referenced ${problem.extra.join(", ")}`);
      return `"${problem.typeUrl}": ${what.join("; ")}`;
    });
    throw new SnapshotError("inconsistent", `snapshot is inconsistent: ${parts.join(" | ")}`, {
      typeUrl: inconsistencies.length === 1 ? inconsistencies[0]?.typeUrl : undefined,
      resourceNames: inconsistencies.flatMap((problem) => [...problem.missing, ...problem.extra]),
      inconsistencies,
    });
  }

  /** The data watches of a type are answered from; `undefined` when the type is not served. */
  typeResources(typeUrl: string): TypeResources | undefined {
    const held = this.#byType.get(typeUrl);
    if (held !== undefined || this.#version === undefined) return held;
    // One version for all: an empty type, made once and kept so every watch shares it.
    const empty = new TypeResources(typeUrl, this.#version, []);
    this.#byType.set(typeUrl, empty);
    return empty;
  }

  /** Whether the snapshot knows a type: it holds or versions it, or its registry has it. */
  knows(typeUrl: string): boolean {
    return this.#byType.has(typeUrl) || this.types.get(typeUrl) !== undefined;
  }
}

/**
 * The per-type data of a snapshot made by {@link createSnapshot}.
 *
 * @throws {SnapshotError} `invalid-snapshot` for any other object.
 */
export function internalSnapshot(snapshot: Snapshot): VersionedSnapshot {
  if (!(snapshot instanceof VersionedSnapshot)) {
    throw new SnapshotError("invalid-snapshot", "snapshots must be made with createSnapshot()");
  }
  return snapshot;
}

export type { VersionedSnapshot };

function isCachedResource(resource: SnapshotResource): resource is CachedResource {
  return !("$typeName" in resource);
}

function prepare(
  typeUrl: string,
  resource: SnapshotResource,
  index: number,
  types: ResourceTypeRegistry,
  registry: Registry | undefined,
): CachedResource {
  if (isCachedResource(resource)) {
    if (resource.typeUrl !== typeUrl) {
      throw new SnapshotError(
        "type-mismatch",
        `resource "${resource.name}" of type "${resource.typeUrl}" was given as type "${typeUrl}" (resource #${index})`,
        { typeUrl, resourceName: resource.name },
      );
    }
    return resource;
  }
  const type = types.get(typeUrl);
  if (type === undefined) {
    throw new SnapshotError(
      "unknown-type",
      `cannot prepare a ${resource.$typeName} as type "${typeUrl}": the type is not registered; register it (options.types) or pass a prepared resource`,
      { typeUrl, field: "types" },
    );
  }
  try {
    return prepareResource(type.schema, resource, { typeUrl, types, ...(registry === undefined ? {} : { registry }) });
  } catch (error) {
    if (error instanceof CacheError) {
      throw new SnapshotError(error.code, `${error.message} (resource #${index} of type "${typeUrl}")`, {
        typeUrl,
        resourceName: error.resourceName,
        field: error.field,
        cause: error,
      });
    }
    throw error;
  }
}

// The errors option, checked: each a google.rpc.Code and a message (see resourceErrorReport).
function checkedErrors(
  given: Readonly<Record<string, Readonly<Record<string, ResourceErrorDetail>>>>,
): Map<string, ReadonlyMap<string, ResourceErrorReport>> {
  const byType = new Map<string, ReadonlyMap<string, ResourceErrorReport>>();
  for (const [typeUrl, byName] of Object.entries(given)) {
    const reports = new Map<string, ResourceErrorReport>();
    for (const [name, detail] of Object.entries(byName)) {
      try {
        reports.set(name, resourceErrorReport(typeUrl, name, detail));
      } catch (error) {
        if (!(error instanceof CacheError)) throw error;
        throw new SnapshotError(error.code, error.message, { typeUrl, resourceName: name, field: `errors.${error.field ?? ""}`, cause: error });
      }
    }
    if (reports.size > 0) byType.set(typeUrl, reports);
  }
  return byType;
}

/**
 * Builds a snapshot: prepares every message (deriving its name), marshals
 * every resource once, applies TTLs, and indexes the resources by type and
 * name. Nothing of a cache changes until the snapshot is set, so a snapshot
 * that fails to build loses nothing.
 *
 * @param version one version for every type, or one per type URL (see {@link SnapshotVersion}).
 * @param resources resources by type URL: messages of registered types or prepared `CachedResource`s.
 * @throws {SnapshotError} `duplicate-name` naming every type and name given
 *   twice; `invalid-snapshot` for a type with resources but no version, or a
 *   TTL for a resource that is not there; `resource-name` when a name cannot
 *   be derived, `unknown-type` for a message of an unregistered type,
 *   `type-mismatch` for a resource under the wrong type URL, naming the type
 *   and position; `invalid-resource` for an error whose code is not a
 *   `google.rpc.Code` from 1 to 16, naming the type and name.
 * @throws {CacheError} `invalid-resource` for a TTL that is not a positive number.
 */
export function createSnapshot(version: SnapshotVersion, resources: SnapshotResources, options: SnapshotOptions = {}): Snapshot {
  const types = options.types ?? defaultResourceTypes;
  const single = typeof version === "string" ? version : undefined;
  const versions: Readonly<Record<string, string>> = typeof version === "string" ? {} : version;
  // TTLs keyed by canonical name, as prepared resources are named (xdstp names may be spelled either way).
  const ttls: Record<string, Record<string, number>> = {};
  for (const [typeUrl, byName] of Object.entries(options.ttlMs ?? {})) {
    ttls[typeUrl] = Object.fromEntries(Object.entries(byName).map(([name, ttl]) => [normalizeResourceName(name), ttl]));
  }

  const duplicates: { readonly typeUrl: string; readonly name: string }[] = [];
  const preparedByType = new Map<string, CachedResource[]>();
  for (const [typeUrl, given] of Object.entries(resources)) {
    const prepared: CachedResource[] = [];
    const seen = new Set<string>();
    let index = 0;
    for (const item of given) {
      let resource = prepare(typeUrl, item, index++, types, options.registry);
      if (seen.has(resource.name)) {
        duplicates.push({ typeUrl, name: resource.name });
        continue;
      }
      seen.add(resource.name);
      const ttl = ttls[typeUrl]?.[resource.name];
      if (ttl !== undefined) resource = resource.withTtl(ttl);
      // Marshal now, once: every watch this snapshot answers shares these bytes.
      void resource.bytes;
      prepared.push(resource);
    }
    preparedByType.set(typeUrl, prepared);
  }
  if (duplicates.length > 0) {
    const listed = duplicates.map((d) => `${d.name} (type "${d.typeUrl}")`).join(", ");
    const typeUrls = new Set(duplicates.map((d) => d.typeUrl));
    throw new SnapshotError("duplicate-name", `snapshot holds more than one resource named ${listed}`, {
      typeUrl: typeUrls.size === 1 ? duplicates[0]?.typeUrl : undefined,
      resourceNames: duplicates.map((d) => d.name),
    });
  }
  const errorsByType = checkedErrors(options.errors ?? {});
  for (const typeUrl of errorsByType.keys()) if (!preparedByType.has(typeUrl)) preparedByType.set(typeUrl, []);
  const byType = new Map<string, TypeResources>();
  const unversioned: string[] = [];
  for (const [typeUrl, prepared] of preparedByType) {
    const typeVersion = single ?? versions[typeUrl];
    const errors = errorsByType.get(typeUrl);
    if (typeVersion !== undefined) byType.set(typeUrl, new TypeResources(typeUrl, typeVersion, prepared, errors));
    else if (prepared.length > 0 || errors !== undefined) unversioned.push(typeUrl);
  }
  if (unversioned.length > 0) {
    throw new SnapshotError("invalid-snapshot", `snapshot has resources but no version for ${unversioned.map((t) => `"${t}"`).join(", ")}`, {
      typeUrl: unversioned.length === 1 ? unversioned[0] : undefined,
      field: "version",
    });
  }
  for (const [typeUrl, typeVersion] of Object.entries(versions)) {
    if (!byType.has(typeUrl)) byType.set(typeUrl, new TypeResources(typeUrl, typeVersion, []));
  }
  const unknownTtls: { readonly typeUrl: string; readonly name: string }[] = [];
  for (const [typeUrl, byName] of Object.entries(ttls)) {
    const held = byType.get(typeUrl)?.byName;
    for (const name of Object.keys(byName)) if (held?.has(name) !== true) unknownTtls.push({ typeUrl, name });
  }
  if (unknownTtls.length > 0) {
    const listed = unknownTtls.map((t) => `${t.name} (type "${t.typeUrl}")`).join(", ");
    throw new SnapshotError("invalid-snapshot", `TTL given for resources the snapshot does not hold: ${listed}`, {
      resourceNames: unknownTtls.map((t) => t.name),
      field: "ttlMs",
    });
  }
  return new VersionedSnapshot(byType, single, types);
}
