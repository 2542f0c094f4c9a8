import type { DescMessage, Message } from "@bufbuild/protobuf";
import { CacheError, type ConsistencyOptions, findInconsistencies, resourceReferences, type CachedResource, type ResourceTypeRegistry } from "@xdskit/cache-core";
import type { Violation } from "./violation.js";

/** How `Validator.validateSnapshot` checks references between resources. */
export interface ReferenceOptions {
  /** Types another cache serves: references to them are not required to resolve. Default: none. */
  readonly externalTypes?: ConsistencyOptions["externalTypes"] | undefined;
  /** References to require beyond those resources declare (type URL → names). Default: none. */
  readonly references?: ConsistencyOptions["references"] | undefined;
  /**
   * Also report endpoint assignments and route configurations nothing references
   * (`reference.unused`), as go-control-plane's consistency check does. Default: false.
   */
  readonly unused?: boolean | undefined;
}

/** What one resource refers to: type URL → names (cache-core's `resourceReferences`). */
export type References = ReadonlyMap<string, readonly string[]>;

/** A resource that refers to nothing. */
export const NO_REFERENCES: References = new Map();

/** A resource as the reference check needs it: where it is, and what it refers to. */
export interface Referrer {
  readonly typeUrl: string;
  readonly name: string;
  readonly references: References;
}

/** The references of one decoded resource; none when they cannot be read (a violation of its own already). */
export function referencesOf(schema: DescMessage, message: Message, typeUrl: string, types: ResourceTypeRegistry): References {
  try {
    const found = resourceReferences(schema, message, { typeUrl, types });
    if (found.size === 0) return NO_REFERENCES;
    return new Map([...found].map(([t, names]) => [t, [...names]]));
  } catch (error) {
    if (error instanceof CacheError) return NO_REFERENCES;
    throw error;
  }
}

// A registry without types: the resources handed to findInconsistencies below stand for their
// name only, their references come in through `references` (already read, or remembered).
const NO_TYPES: ResourceTypeRegistry = {
  get: () => undefined,
  require: (typeUrl) => {
    throw new CacheError("unknown-type", `unknown resource type "${typeUrl}"`, { typeUrl });
  },
  typeUrls: () => [],
};

const EMPTY = new Uint8Array(0);

/**
 * References that do not resolve (and, if asked, resources nothing references), as violations:
 * cache-core's `findInconsistencies` over the names held, given the references each resource
 * makes (read once per resource version by the caller, so a snapshot that keeps most of its
 * resources is checked without decoding them again).
 */
export function checkReferences(resources: readonly Referrer[], options: ReferenceOptions, out: Violation[]): void {
  const wanted = new Map<string, Set<string>>();
  const add = (typeUrl: string, names: Iterable<string>): void => {
    let into = wanted.get(typeUrl);
    if (into === undefined) {
      into = new Set();
      wanted.set(typeUrl, into);
    }
    for (const name of names) into.add(name);
  };
  const held: CachedResource[] = [];
  for (const r of resources) {
    for (const [typeUrl, names] of r.references) add(typeUrl, names);
    held.push(new NameOnly(r.typeUrl, r.name));
  }
  for (const [typeUrl, names] of options.references ?? []) add(typeUrl, names);
  const found = findInconsistencies(held, { types: NO_TYPES, externalTypes: options.externalTypes, references: wanted });
  const referrers = found.some((p) => p.missing.length > 0) ? referrersOf(resources) : new Map<string, Referrer[]>();
  for (const problem of found) {
    const kind = problem.typeUrl.slice(problem.typeUrl.lastIndexOf(".") + 1);
    for (const name of problem.missing) {
      const by = referrers.get(`${problem.typeUrl}\0${name}`) ?? [];
      // Pinned to each resource that refers to it, where the fix usually is; a reference given in
      // `options.references` has no resource of its own.
      for (const r of by) {
        out.push({ typeUrl: r.typeUrl, resourceName: r.name, field: "", rule: "reference.missing", message: `refers to ${kind} "${name}", which the snapshot does not hold` });
      }
      if (by.length === 0) {
        out.push({ typeUrl: problem.typeUrl, resourceName: name, field: "", rule: "reference.missing", message: "is referenced but not in the snapshot" });
      }
    }
    if (options.unused === true) {
      for (const name of problem.extra) {
        out.push({ typeUrl: problem.typeUrl, resourceName: name, field: "", rule: "reference.unused", message: "is in the snapshot but nothing references it" });
      }
    }
  }
}

/** "type URL \0 name" → the resources that reference it. */
function referrersOf(resources: readonly Referrer[]): Map<string, Referrer[]> {
  const by = new Map<string, Referrer[]>();
  for (const r of resources) {
    for (const [typeUrl, names] of r.references) {
      for (const name of names) {
        const key = `${typeUrl}\0${name}`;
        const list = by.get(key);
        if (list === undefined) by.set(key, [r]);
        else list.push(r);
      }
    }
  }
  return by;
}

// findInconsistencies reads a resource's type URL and name only when its type is not registered.
class NameOnly implements CachedResource {
  readonly schema = undefined;
  readonly message = undefined;
  readonly bytes = EMPTY;
  readonly hash = "";
  readonly ttlMs = undefined;
  constructor(
    readonly typeUrl: string,
    readonly name: string,
  ) {}
  get any(): never {
    throw new Error("a name-only resource has no Any");
  }
  withTtl(): CachedResource {
    return this;
  }
}
