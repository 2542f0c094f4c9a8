import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createMutableRegistry, type DescFile, type MutableRegistry, type Registry } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import {
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";

// Where @xdskit/envoy-api keeps its generated files: one subpath per proto file (`./*` →
// `dist/gen/*.js`), one directory per proto package. A file is found from a type name by its
// package's directory; loading it pulls in the files it imports, nothing else.
const anchorSubpath = "envoy/config/core/v3/base_pb";

const isDescFile = (v: unknown): v is DescFile => typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "file";

/**
 * A registry of every type of `@xdskit/envoy-api` (Envoy v3, cncf/xds, udpa, the google types they
 * use) that loads each type's generated file the first time the type is looked up, instead of
 * all of them at once: a config that uses 40 Envoy types costs those 40 files, not the 700 of
 * `envoyRegistry` (about a second and 130 MB). Lookups stay synchronous: files are loaded with
 * `require()` of ES modules (Node.js 22.12 or newer). Iterating it lists the types loaded so far.
 */
export function lazyEnvoyRegistry(): Registry {
  const require = createRequire(import.meta.url);
  const anchor = require.resolve(`@xdskit/envoy-api/${anchorSubpath}`);
  const genRoot = anchor.slice(0, anchor.length - `${anchorSubpath}.js`.length);
  const inner: MutableRegistry = createMutableRegistry(
    file_google_protobuf_any,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  );
  const loadedDirs = new Set<string>();
  const notFound = new Set<string>();

  const loadDir = (dir: string): void => {
    loadedDirs.add(dir);
    for (const name of readdirSync(join(genRoot, dir)).sort()) {
      if (!name.endsWith("_pb.js")) continue;
      const mod = require(join(genRoot, dir, name)) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        // Only the file's own types: those of the files it imports come with their directories.
        if (isDescFile(value)) for (const type of nestedTypes(value)) inner.add(type);
      }
    }
  };

  /** Loads the package directory of a type name (the longest prefix that is one); true if any was new. */
  const load = (typeName: string): boolean => {
    if (notFound.has(typeName)) return false;
    const parts = typeName.split(".");
    for (let n = parts.length - 1; n > 0; n--) {
      const dir = parts.slice(0, n).join("/");
      if (loadedDirs.has(dir)) break;
      if (!/^[A-Za-z0-9_/]+$/.test(dir) || !existsSync(join(genRoot, dir))) continue;
      loadDir(dir);
      return true;
    }
    if (notFound.size < 10_000) notFound.add(typeName);
    return false;
  };

  const lookup = <T>(find: () => T | undefined, typeName: string): T | undefined => find() ?? (load(typeName) ? find() : undefined);

  return {
    kind: "registry",
    [Symbol.iterator]: () => inner[Symbol.iterator](),
    get: (typeName) => lookup(() => inner.get(typeName), typeName),
    getMessage: (typeName) => lookup(() => inner.getMessage(typeName), typeName),
    getEnum: (typeName) => lookup(() => inner.getEnum(typeName), typeName),
    getExtension: (typeName) => lookup(() => inner.getExtension(typeName), typeName),
    getExtensionFor: (extendee, no) => inner.getExtensionFor(extendee, no),
    getService: (typeName) => lookup(() => inner.getService(typeName), typeName),
  };
}
