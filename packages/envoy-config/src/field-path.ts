/**
 * Where a value sits, as a chain from the value up to the root. Built as the reader descends (one
 * link per message and list item) and turned into text only when a problem is reported.
 */
export interface PathLink {
  readonly parent: PathLink | undefined;
  readonly key: string | number;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `a.b[2].c`, `map["key.with.dots"]`; `prefix` is put first (a prefix ending in a space is followed by a key without a dot). */
export function formatPath(link: PathLink | undefined, prefix = ""): string {
  const parts: (string | number)[] = [];
  for (let l = link; l !== undefined; l = l.parent) parts.push(l.key);
  let out = prefix;
  for (let i = parts.length - 1; i >= 0; i--) {
    const key = parts[i] as string | number;
    if (typeof key === "number") out += `[${key}]`;
    else if (identifier.test(key)) out += out === "" || out.endsWith(" ") ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** The keys of a path, root first. */
export function pathKeys(link: PathLink | undefined): (string | number)[] {
  const parts: (string | number)[] = [];
  for (let l = link; l !== undefined; l = l.parent) parts.push(l.key);
  return parts.reverse();
}
