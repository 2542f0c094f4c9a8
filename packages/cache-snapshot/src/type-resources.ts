import type { CachedResource, ResourceErrorReport } from "@xdskit/cache-core";

/**
 * One type of a snapshot at one version: what every watch of that type is
 * answered from. Built once per snapshot and shared by every node and watch
 * that gets it; responses reuse {@link list} (wildcard) or pick from
 * {@link byName}, never copying or re-encoding resources.
 */
export class TypeResources {
  readonly typeUrl: string;
  readonly version: string;
  readonly byName: ReadonlyMap<string, CachedResource>;
  /** Every resource, in the order given; frozen, so it can be handed out as is. */
  readonly list: readonly CachedResource[];
  /** The resources that carry a TTL: what a heartbeat refreshes. */
  readonly withTtl: readonly CachedResource[];
  /** name → why it is not served (xRFC TP3), for names the snapshot holds no resource of. */
  readonly errors: ReadonlyMap<string, ResourceErrorReport>;

  constructor(
    typeUrl: string,
    version: string,
    resources: readonly CachedResource[],
    errors: ReadonlyMap<string, ResourceErrorReport> = NO_ERRORS,
  ) {
    this.typeUrl = typeUrl;
    this.version = version;
    this.list = Object.freeze(resources);
    const byName = new Map<string, CachedResource>();
    for (const resource of resources) byName.set(resource.name, resource);
    this.byName = byName;
    this.withTtl = Object.freeze(resources.filter((resource) => resource.ttlMs !== undefined));
    // A resource wins over an error for its name: a response never names one both ways.
    let served = errors;
    for (const name of errors.keys()) {
      if (!byName.has(name)) continue;
      if (served === errors) served = new Map(errors);
      (served as Map<string, ResourceErrorReport>).delete(name);
    }
    this.errors = served;
  }

  /**
   * The errors of the names a non-wildcard subscription names (none for a
   * wildcard one: xRFC TP3 defines errors for named subscriptions), or
   * `undefined`. Costs the number of errors, not of names.
   */
  errorsFor(names: ReadonlySet<string>, wildcard: boolean): readonly ResourceErrorReport[] | undefined {
    if (this.errors.size === 0 || wildcard) return undefined;
    const out: ResourceErrorReport[] = [];
    for (const [name, report] of this.errors) if (names.has(name)) out.push(report);
    return out.length === 0 ? undefined : out;
  }
}

const NO_ERRORS: ReadonlyMap<string, ResourceErrorReport> = new Map();
