/**
 * One read-only Set of resource names per distinct list, shared by every subscription that names
 * exactly those resources: a thousand proxies of one service ask for the same hundred EDS names,
 * and each subscription holding its own copy costs ~2.6 KB a proxy. Sets are held weakly: one that
 * no subscription uses any more is collected, and its entry goes with it.
 */

// Below this many names a Set of its own costs less than finding a shared one.
const MIN_SHARED_NAMES = 16;

const sets = new Map<string, WeakRef<ReadonlySet<string>>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (sets.get(key)?.deref() === undefined) sets.delete(key);
});

function sameMembers(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

/**
 * The shared Set with the members of `names` (in the same order), or `names` itself, which is then
 * shared from now on: the caller must not change the Set it gets (or `names`) afterwards.
 */
export function sharedNameSet(names: Set<string>): ReadonlySet<string> {
  if (names.size < MIN_SHARED_NAMES) return names;
  // Keyed by the names in order; a key two different lists could make (a name holding the
  // separator) is told apart by comparing members, and the newer list is then not shared.
  const key = [...names].join("\n");
  const found = sets.get(key)?.deref();
  if (found !== undefined) return sameMembers(found, names) ? found : names;
  sets.set(key, new WeakRef(names));
  forget.register(names, key);
  return names;
}

/** Whether a Set came from {@link sharedNameSet} (and must not be changed). */
export function isSharedNameSet(names: ReadonlySet<string>): boolean {
  return names.size >= MIN_SHARED_NAMES;
}
