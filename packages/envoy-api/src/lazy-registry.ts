import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
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

// The generated files: one directory per protobuf package (`envoy/config/cluster/v3/`), so the
// files that can hold a type are found from its name.
const genRoot = new URL("./gen/", import.meta.url);

const isDescFile = (value: unknown): value is DescFile =>
  typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "file";

// The generated files in a package directory, or none when no such directory exists.
function generatedFilesIn(dir: string): string[] {
  try {
    return readdirSync(new URL(`${dir}/`, genRoot))
      .filter((name) => name.endsWith("_pb.js"))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A registry of every type of this package (Envoy v3, cncf/xds, udpa, and the google types they
 * use) that loads the generated files of a type's protobuf package the first time a type of it is
 * looked up, instead of the whole API at once (`envoyRegistry`: about 700 files). A config or a
 * JSON conversion that uses 40 Envoy types costs their packages' files, not the whole API.
 *
 * Lookups stay synchronous, so it is a plain `Registry` for `fromJson`, `toJson` and `anyUnpack`:
 * files are loaded with `require()` of ES modules (Node.js 22.12 or newer), sharing the module
 * cache with `import`, so a type has one descriptor whichever way it was loaded. Iterating the
 * registry lists the types loaded so far.
 *
 * @example
 * ```ts
 * const registry = lazyEnvoyRegistry();
 * const listener = fromJson(ListenerSchema, json, { registry }); // loads what its typed_config names
 * ```
 */
export function lazyEnvoyRegistry(): Registry {
  const require = createRequire(import.meta.url);
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

  const loadDir = (dir: string, files: string[]): void => {
    loadedDirs.add(dir);
    for (const name of files) {
      const module = require(fileURLToPath(new URL(`${dir}/${name}`, genRoot))) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        // Only the file's own types: those of the files it imports come with their packages.
        if (isDescFile(value)) for (const type of nestedTypes(value)) inner.add(type);
      }
    }
  };

  // Loads the package of a type name: the longest prefix that is a directory of generated
  // files (a nested type adds names after its package). True if that loaded anything new.
  const load = (typeName: string): boolean => {
    if (notFound.has(typeName)) return false;
    const parts = typeName.split(".");
    for (let n = parts.length - 1; n > 0; n--) {
      const dir = parts.slice(0, n).join("/");
      if (loadedDirs.has(dir)) break;
      if (!/^[A-Za-z0-9_/]+$/.test(dir)) continue;
      const files = generatedFilesIn(dir);
      if (files.length === 0) continue;
      loadDir(dir, files);
      return true;
    }
    // Bounded, so that a stream of made-up names cannot grow it without end.
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
