/** One dependency entry of Envoy's api/bazel/repository_locations.bzl. */
export interface BzlDep {
  name: string;
  version: string;
  sha256: string;
  urls: string[];
  stripPrefix: string;
}

/**
 * Reads the dependency table out of repository_locations.bzl. The file is
 * Starlark, but this table is plain `name = dict(key = "value", …)` data;
 * `{version}` placeholders are expanded.
 */
export function parseRepositoryLocations(text: string): Map<string, BzlDep> {
  const deps = new Map<string, BzlDep>();
  const entry = /^ {4}(\w+) = dict\(\n([\s\S]*?)^ {4}\),?$/gm;
  for (const m of text.matchAll(entry)) {
    const [, name, body] = m as unknown as [string, string, string];
    const str = (key: string): string => new RegExp(`^\\s*${key} = "([^"]*)"`, "m").exec(body)?.[1] ?? "";
    const version = str("version");
    const urlsBlock = /^\s*urls = \[([^\]]*)\]/m.exec(body)?.[1] ?? "";
    const urls = [...urlsBlock.matchAll(/"([^"]+)"/g)].map((u) => (u[1] ?? "").replaceAll("{version}", version));
    deps.set(name, {
      name,
      version,
      sha256: str("sha256"),
      urls,
      stripPrefix: str("strip_prefix").replaceAll("{version}", version),
    });
  }
  return deps;
}
