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

/** Two 32-bit FNV-1a hashes (different offsets) of the names in order, each ended by a separator, and the count. */
function digestOf(names: Iterable<string>, size: number): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const name of names) {
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193);
    }
    // The separator: a character no 16-bit code unit of a name can be taken for.
    a = Math.imul(a ^ 0x10000, 0x01000193);
    b = Math.imul(b ^ 0x10001, 0x01000193);
  }
  return `${size}:${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`;
}

function sameMembers(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const name of a) if (!b.has(name)) return false;
  return true;
}

// Whether a Set's members are the list's names, in its order.
function holdsInOrder(names: ReadonlySet<string>, list: readonly string[]): boolean {
  if (names.size !== list.length) return false;
  let i = 0;
  for (const name of names) if (name !== list[i++]) return false;
  return true;
}

/**
 * The shared Set of the names of a whole list, or the Set `build` makes of them, which is then
 * shared from now on: the caller must not change the Set it gets afterwards.
 *
 * When the list names exactly a shared Set's members in order (a thousand proxies asking for the
 * same hundred EDS names) no Set is built: comparing the list with those members also proves it
 * canonical, without repeats and without the wildcard, which a shared Set holds none of. The
 * list's digest is computed once: it is the built Set's too when that Set holds the list's names
 * as they are.
 */
export function sharedNamesOf(list: readonly string[], build: () => Set<string>): ReadonlySet<string> {
  if (list.length < MIN_SHARED_NAMES) return build();
  const listKey = digestOf(list, list.length);
  const found = sets.get(listKey)?.deref();
  if (found !== undefined && holdsInOrder(found, list)) return found;
  const names = build();
  if (names.size < MIN_SHARED_NAMES) return names;
  return share(names, holdsInOrder(names, list) ? listKey : digestOf(names, names.size));
}

// Keyed by a digest of the names in order, not by the names: a table of every distinct list's
// names joined would double what unshared lists cost. Two lists with one digest (rare) are told
// apart by comparing members, and the newer one is then not shared.
function share(names: Set<string>, key: string): ReadonlySet<string> {
  const found = sets.get(key)?.deref();
  if (found !== undefined) return sameMembers(found, names) ? found : names;
  sets.set(key, new WeakRef(names));
  forget.register(names, key);
  return names;
}

/** Whether a Set came from {@link sharedNamesOf} (and must not be changed). */
export function isSharedNameSet(names: ReadonlySet<string>): boolean {
  return names.size >= MIN_SHARED_NAMES;
}
