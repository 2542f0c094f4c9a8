// The REST gateway's JSON needs the schema of every type inside an `Any` of
// a request or an answer. Loading the whole Envoy API for that takes ~1.5 s of
// CPU and ~25 MB, longer than Envoy's 1 s REST fetch timeout, so this loads
// only the protobuf packages a JSON conversion asks for: it runs the
// conversion against the types loaded so far, notes the type names the
// registry did not have, imports the generated files of their packages from
// @xdskit/envoy-api, and runs it again, until nothing is missing.
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { createMutableRegistry, type DescFile, type DescMessage, type MutableRegistry, type Registry } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";

/** A registry that grows by protobuf package as JSON conversions need types. */
export interface LazyEnvoyRegistry {
  /**
   * Runs `convert` with the registry, loading the packages of the types it
   * did not find and running it again until it finds every type it asks for.
   * Resolves with its result; rejects with its error when a type it asks for
   * is in no package of @xdskit/envoy-api (or not in the package named by it).
   */
  convert<T>(convert: (registry: Registry) => T): Promise<T>;
}

// Each round loads at least one package, so this bounds nesting depth, not work.
const MAX_ROUNDS = 32;

/** A lazy registry over @xdskit/envoy-api's generated files (and the well-known types). */
export function createLazyEnvoyRegistry(): LazyEnvoyRegistry {
  const registry = createMutableRegistry();
  for (const file of [
    file_google_protobuf_any,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  ]) {
    addFile(registry, file);
  }
  const loaded = new Set<string>();
  const root = generatedRoot();

  async function loadPackageOf(typeName: string): Promise<boolean> {
    const parts = typeName.split(".");
    // The package is a prefix of the full name (a nested message adds names after it).
    for (let end = parts.length - 1; end > 0; end--) {
      const dir = parts.slice(0, end).join("/");
      if (loaded.has(dir)) continue;
      const files = generatedFilesIn(join(root, dir));
      if (files.length === 0) continue;
      loaded.add(dir);
      for (const file of files) {
        const module = (await import(`@xdskit/envoy-api/${dir}/${file.slice(0, -".js".length)}`)) as Record<string, unknown>;
        for (const value of Object.values(module)) if (isFile(value)) addFile(registry, value);
      }
      return true;
    }
    return false;
  }

  return {
    async convert(convert) {
      for (let round = 0; ; round++) {
        const missing = new Set<string>();
        try {
          return convert(recording(registry, missing));
        } catch (error) {
          if (missing.size === 0 || round === MAX_ROUNDS) throw error;
          let progress = false;
          for (const typeName of missing) if (await loadPackageOf(typeName)) progress = true;
          if (!progress) throw error;
        }
      }
    },
  };
}

// The folder of @xdskit/envoy-api's generated files (…/dist/gen), found from one file of it.
function generatedRoot(): string {
  const discovery = "envoy/service/discovery/v3/discovery_pb";
  // createRequire, not import.meta.resolve: test runners that transform modules (vitest) lack the latter.
  const file = createRequire(import.meta.url).resolve(`@xdskit/envoy-api/${discovery}`);
  let root = dirname(file);
  for (let i = 0; i < discovery.split("/").length - 1; i++) root = dirname(root);
  if (relative(root, file).split(sep).join("/") !== `${discovery}.js`) throw new Error(`unexpected layout of @xdskit/envoy-api: ${file}`);
  return root;
}

function generatedFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith("_pb.js"));
  } catch {
    return [];
  }
}

function isFile(value: unknown): value is DescFile {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "file";
}

function addFile(registry: MutableRegistry, file: DescFile): void {
  const addMessage = (message: DescMessage): void => {
    registry.add(message);
    for (const nested of message.nestedMessages) addMessage(nested);
    for (const nested of message.nestedEnums) registry.add(nested);
  };
  for (const message of file.messages) addMessage(message);
  for (const enumeration of file.enums) registry.add(enumeration);
}

// The registry as it is, noting every message type name asked for that it lacks.
function recording(registry: Registry, missing: Set<string>): Registry {
  return {
    kind: "registry",
    get: (typeName) => registry.get(typeName),
    getMessage(typeName) {
      const found = registry.getMessage(typeName);
      if (found === undefined) missing.add(typeName);
      return found;
    },
    getEnum: (typeName) => registry.getEnum(typeName),
    getExtension: (typeName) => registry.getExtension(typeName),
    getExtensionFor: (extendee, no) => registry.getExtensionFor(extendee, no),
    getService: (typeName) => registry.getService(typeName),
    [Symbol.iterator]: () => registry[Symbol.iterator](),
  };
}
