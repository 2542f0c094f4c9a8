import type { CachedResource } from "./cached-resource.js";
import { collectReferences } from "./collect-references.js";
import type { ResourceReferences } from "./resource-references.js";
import { defaultResourceTypes, type ResourceTypeRegistry } from "./resource-type-registry.js";
import { WILDCARD_RESOURCE_NAME } from "./subscription.js";
import { compareTypeUrls, ENDPOINT_TYPE_URL, ROUTE_TYPE_URL, SCOPED_ROUTE_TYPE_URL } from "./type-urls.js";
import { isXdstpGlob, normalizeResourceName, xdstpCollectionOf } from "./xdstp-name.js";

/** What {@link findInconsistencies} found wrong with one type. */
export interface Inconsistency {
  /** The referenced type (EDS, RDS, a custom type with references, or one given in `references`). */
  readonly typeUrl: string;
  /** Names something references that the set does not hold, sorted. */
  readonly missing: readonly string[];
  /** Names the set holds that nothing references (endpoint assignments and route configurations only), sorted. */
  readonly extra: readonly string[];
}

/** Options of {@link findInconsistencies}. */
export interface ConsistencyOptions {
  /** How resources are decoded and what they reference (custom types go here). Default: the built-in Envoy types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /**
   * Types another cache serves (for example `[ENDPOINT_TYPE_URL]` when a
   * linear cache behind a mux serves EDS): references to them are not
   * reported missing, and resources of them are not reported unreferenced.
   * Default: none, the set must be self-contained.
   */
  readonly externalTypes?: Iterable<string> | undefined;
  /**
   * References to check beyond those the resources declare themselves
   * (type URL → names), such as routes → clusters. Default: none.
   */
  readonly references?: ResourceReferences | undefined;
}

// Types whose resources exist only because something references them: one
// that nothing references is a leftover (go-control-plane requires the counts
// to match for these).
const referencedOnly: readonly string[] = [ENDPOINT_TYPE_URL, ROUTE_TYPE_URL];

/**
 * The one consistency check of a set of resources, as a snapshot must pass
 * before it is served: every reference without a resource (`missing`: the
 * EDS assignments clusters need, the route configurations listeners and
 * scoped routes need, custom types' references, and `options.references`),
 * and every endpoint assignment or route configuration nothing references
 * (`extra`), grouped by type in ADS order. Empty when the set is consistent.
 *
 * Listeners reference scoped routes as `"*"` or a collection locator, not by
 * name, so SRDS references are not checked; a `"*"` reference is satisfied
 * by any set.
 *
 * @throws {CacheError} `invalid-resource` when a resource does not decode.
 */
export function findInconsistencies(resources: Iterable<CachedResource>, options: ConsistencyOptions = {}): Inconsistency[] {
  const held = new Map<string, Set<string>>();
  const all: CachedResource[] = [];
  for (const resource of resources) {
    all.push(resource);
    let names = held.get(resource.typeUrl);
    if (names === undefined) {
      names = new Set();
      held.set(resource.typeUrl, names);
    }
    names.add(resource.name);
  }

  const references = collectReferences(all, options.types ?? defaultResourceTypes);
  for (const [typeUrl, names] of options.references ?? []) {
    let into = references.get(typeUrl);
    if (into === undefined) {
      into = new Set();
      references.set(typeUrl, into);
    }
    for (const name of names) into.add(name);
  }
  references.delete(SCOPED_ROUTE_TYPE_URL);
  for (const typeUrl of referencedOnly) if (!references.has(typeUrl)) references.set(typeUrl, new Set());
  for (const typeUrl of options.externalTypes ?? []) references.delete(typeUrl);

  const found: Inconsistency[] = [];
  for (const typeUrl of [...references.keys()].sort(compareTypeUrls)) {
    // References compare in canonical spelling, as resources are named; an xdstp glob
    // reference (a collection, possibly empty) is never missing and covers its members.
    const wanted = new Set([...(references.get(typeUrl) ?? [])].map(normalizeResourceName));
    const have = held.get(typeUrl) ?? new Set<string>();
    const missing = [...wanted].filter((name) => name !== WILDCARD_RESOURCE_NAME && !have.has(name) && !isXdstpGlob(name)).sort();
    const covered = (name: string): boolean => {
      if (wanted.has(name)) return true;
      const collection = xdstpCollectionOf(name);
      return collection !== undefined && wanted.has(collection);
    };
    const extra = referencedOnly.includes(typeUrl) ? [...have].filter((name) => !covered(name)).sort() : [];
    if (missing.length > 0 || extra.length > 0) found.push({ typeUrl, missing, extra });
  }
  return found;
}
