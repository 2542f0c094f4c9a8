import { collectReferences, ENDPOINT_TYPE_URL, ROUTE_TYPE_URL, SCOPED_ROUTE_TYPE_URL, compareTypeUrls } from "@xdskit/cache-core";
import type { Snapshot } from "./snapshot.js";
import type { SnapshotInconsistency } from "./snapshot-error.js";

// Types whose resources exist only because something references them: one
// that nothing references is a leftover (go-control-plane requires the
// counts to match for these).
const referencedOnly: ReadonlySet<string> = new Set([ENDPOINT_TYPE_URL, ROUTE_TYPE_URL]);

/**
 * Every reference of a snapshot without a resource, and every EDS / RDS
 * resource without a reference, grouped by type in ADS order. Empty when the
 * snapshot is consistent.
 */
export function findInconsistencies(snapshot: Snapshot): SnapshotInconsistency[] {
  const all = snapshot.typeUrls().flatMap((typeUrl) => [...snapshot.resources(typeUrl).values()]);
  const references = collectReferences(all, snapshot.types);
  // Listeners reference scoped routes as "*" or a locator, not by name.
  references.delete(SCOPED_ROUTE_TYPE_URL);
  for (const typeUrl of referencedOnly) if (!references.has(typeUrl)) references.set(typeUrl, new Set());

  const found: SnapshotInconsistency[] = [];
  for (const typeUrl of [...references.keys()].sort(compareTypeUrls)) {
    const wanted = references.get(typeUrl) ?? new Set<string>();
    const held = snapshot.resources(typeUrl);
    const missing = [...wanted].filter((name) => !held.has(name)).sort();
    const extra = referencedOnly.has(typeUrl) ? [...held.keys()].filter((name) => !wanted.has(name)).sort() : [];
    if (missing.length > 0 || extra.length > 0) found.push({ typeUrl, missing, extra });
  }
  return found;
}
