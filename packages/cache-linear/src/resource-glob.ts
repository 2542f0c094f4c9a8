/**
 * Prefix ("glob") subscriptions. A subscribed name ending in `/*`, such as
 * `xdstp://auth/envoy.config.endpoint.v3.ClusterLoadAssignment/team-a/*`,
 * covers every resource whose name starts with the part before the `*`
 * (`…/team-a/`), at any depth. The bare `*` is the wildcard and never a prefix.
 */
const GLOB_SUFFIX = "/*";

/** Whether a subscribed name is a prefix subscription. */
export function isGlobName(name: string): boolean {
  return name.endsWith(GLOB_SUFFIX);
}

/** The prefix a glob name covers: the name without its final `*` (it keeps the `/`). */
export function globPrefix(name: string): string {
  return name.slice(0, -1);
}

/**
 * Every prefix of `name` that ends in `/`, shortest first: the keys a glob
 * subscription covering `name` can have. Cost is the length of the name, not
 * the number of subscriptions.
 */
export function slashPrefixes(name: string): string[] {
  const prefixes: string[] = [];
  for (let i = name.indexOf("/"); i !== -1 && i < name.length - 1; i = name.indexOf("/", i + 1)) {
    prefixes.push(name.slice(0, i + 1));
  }
  return prefixes;
}
