import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { Registry } from "@bufbuild/protobuf";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { ENDPOINT_TYPE_URL, resourceReferences, ROUTE_TYPE_URL, type CachedResource } from "@xdskit/cache-core";
import { type ConfigProblem as ReadProblem, type ConfigResource, createPreparingResourceReader, type PreparingResourceReader } from "@xdskit/envoy-config";
import { resolveValidationPolicy, type ValidationPolicy, type Violation } from "@xdskit/validate/policy";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { messageResource, withoutMessage } from "./message-resource.js";
import { resolveSelfConfigSources } from "./resolve-self-config-sources.js";

/** Files directly in the config directory form this group; every other group starts from it. */
export const DEFAULT_GROUP = "default";

export interface LoadedResource {
  readonly resource: CachedResource;
  readonly origin: { readonly file: string; readonly path: string };
}

/** What one node group is served: resources by type URL, each with where it was written. */
export type GroupConfig = Map<string, Map<string, LoadedResource>>;

const configExtensions = new Set([".yaml", ".yml", ".json"]);
/** Reference kinds that must resolve inside a group; others (SRDS wildcard, ECDS, SDS…) may come later or from elsewhere. */
const mustResolve = new Set([ENDPOINT_TYPE_URL, ROUTE_TYPE_URL]);

function listConfigFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".")) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory() && depth === 0) walk(p, 1);
      else if (st.isFile() && configExtensions.has(extname(name))) out.push(relative(dir, p));
    }
  };
  walk(dir, 0);
  return out;
}

const groupOf = (file: string): string => (file.includes(sep) ? (file.split(sep)[0] ?? DEFAULT_GROUP) : DEFAULT_GROUP);

function addTo(group: GroupConfig, loaded: LoadedResource, problems: ConfigProblem[]): void {
  const { typeUrl, name } = loaded.resource;
  let byName = group.get(typeUrl);
  if (!byName) {
    byName = new Map();
    group.set(typeUrl, byName);
  }
  const seen = byName.get(name);
  if (seen && groupOf(seen.origin.file) === groupOf(loaded.origin.file)) {
    problems.push({
      file: loaded.origin.file,
      fieldPath: loaded.origin.path,
      reason: `duplicate ${typeUrl.slice(typeUrl.lastIndexOf(".") + 1)} "${name}" (also in ${seen.origin.file}${seen.origin.path ? ` at ${seen.origin.path}` : ""})`,
    });
    return;
  }
  byName.set(name, loaded);
}

function checkReferences(groupName: string, group: GroupConfig, problems: ConfigProblem[]): void {
  for (const byName of group.values()) {
    for (const { resource, origin } of byName.values()) {
      if (!resource.schema || !resource.message) continue;
      for (const [typeUrl, names] of resourceReferences(resource.schema, resource.message, { typeUrl: resource.typeUrl })) {
        if (!mustResolve.has(typeUrl)) continue;
        for (const name of names) {
          if (group.get(typeUrl)?.has(name)) continue;
          problems.push({
            file: origin.file,
            fieldPath: origin.path,
            reason: `${resource.name} refers to ${typeUrl.slice(typeUrl.lastIndexOf(".") + 1)} "${name}", which group "${groupName}" does not define`,
          });
        }
      }
    }
  }
}

/** Options of {@link loadConfig} and {@link createConfigLoader}. */
export interface LoadConfigOptions {
  /** What `self: {}` config sources become (see resolveSelfConfigSources); unset leaves them as written. */
  readonly selfConfigSource?: ConfigSource | undefined;
  /**
   * Validates each group with `@xdskit/validate` (PGV rules through every `Any`, semantic checks,
   * references) before anything is served: in `refuse` mode every violation is a problem pinned
   * to its file and field path; in `warn` mode they go to `onWarning` and the config loads.
   * Without it, only EDS and RDS references are checked.
   */
  readonly validate?: ValidationPolicy | undefined;
  /** Receives the violations of `validate` in `warn` mode. Default: dropped. */
  readonly onWarning?: ((problem: ConfigProblem) => void) | undefined;
  /** Receives what is worth knowing but not wrong: a listener without a name, and the name it was given. Default: dropped. */
  readonly onNotice?: ((notice: ConfigProblem) => void) | undefined;
}

// A violation, pinned to the file and place the resource was written at.
function problemOf(v: Violation, group: GroupConfig): ConfigProblem {
  const origin = group.get(v.typeUrl)?.get(v.resourceName)?.origin;
  const kind = v.typeUrl.slice(v.typeUrl.lastIndexOf(".") + 1);
  const where = origin === undefined ? "" : [origin.path, v.field].filter((part) => part !== "").join(".");
  return {
    file: origin?.file ?? "",
    fieldPath: where,
    reason: `${kind} "${v.resourceName}"${v.field === "" ? "" : ` ${v.field}`}: ${v.message} (${v.rule})`,
  };
}

function validateGroups(groups: Map<string, GroupConfig>, options: LoadConfigOptions, problems: ConfigProblem[]): boolean {
  const policy = resolveValidationPolicy(options.validate);
  if (policy === undefined) return false;
  for (const group of groups.values()) {
    const byType: Record<string, CachedResource[]> = {};
    for (const [typeUrl, byName] of group) byType[typeUrl] = [...byName.values()].map((l) => l.resource);
    for (const v of policy.validator.validateSnapshot(byType).violations) {
      const problem = problemOf(v, group);
      if (policy.mode === "refuse") problems.push(problem);
      else options.onWarning?.(problem);
    }
  }
  return true;
}

const readProblem = (p: ReadProblem): ConfigProblem => ({ file: p.file, fieldPath: p.path, reason: p.message, line: p.line });

/**
 * One resource as the loader keeps it, from the read that decoded it until its item changes: with
 * its message until a load has validated it, then as its bytes only (see createConfigLoader).
 */
interface Held {
  resource: CachedResource;
}

/** A loaded resource that reads its resource from what is held (released or not). */
function loadedOf(held: Held, origin: LoadedResource["origin"]): LoadedResource {
  return {
    origin,
    get resource() {
      return held.resource;
    },
  };
}

/** What one file gave at its last read, kept while the file is unchanged. */
interface FileState {
  /** Size, modification time and inode: a file with the same three is not read again. */
  readonly stamp: string;
  readonly loaded: LoadedResource[];
  readonly held: Held[];
  readonly problems: ConfigProblem[];
}

/** Reads a config directory again and again, re-reading only the files (and decoding only the resources) that changed. */
export interface ConfigLoader {
  /** The groups of the directory as it is now (see {@link loadConfig}); throws a {@link ConfigError} listing every problem. */
  load(): Map<string, GroupConfig>;
}

/**
 * A {@link ConfigLoader}. Files are read with @xdskit/envoy-config (what Envoy's own loader
 * accepts: case-insensitive enums, one value for a list, wrappers as `{value}`…; every problem of
 * every resource with its file, field path and line). An unnamed listener is named after its
 * address and reported to `onNotice`. A file whose size, modification time and inode are unchanged
 * is not read again; in a changed YAML list only the changed items are parsed and decoded, and
 * their resources (bytes and hash included) are reused.
 */
export function createConfigLoader(dir: string, registry: Registry, options: LoadConfigOptions = {}): ConfigLoader {
  // What `self` sources of the file being read become (set per file, read by prepare).
  let selfSource: ConfigSource | undefined;
  const validator = resolveValidationPolicy(options.validate)?.validator;
  // Each resource is validated as it is read (the validator then remembers it by its bytes, with
  // what its snapshot checks and reference check need) and, when valid, kept as its bytes only:
  // its decoded message is garbage at once, before the next one is decoded, so a large config
  // never holds all its messages. The group's validateSnapshot then walks only what is not valid.
  // Without validation the reference check reads the messages: they are kept.
  const prepare = (r: ConfigResource): Held => {
    if (selfSource) resolveSelfConfigSources(r.schema, r.message, selfSource, registry);
    const resource = messageResource(r.typeUrl, r.name, r.schema, r.message);
    return { resource: validator?.validatePrepared?.(resource).ok === true ? withoutMessage(resource) : resource };
  };
  const reader: PreparingResourceReader<Held> = createPreparingResourceReader({ registry, prepare });
  const files = new Map<string, FileState>();

  const readFile = (file: string, stamp: string): FileState => {
    const text = readFileSync(join(dir, file), "utf8");
    // A `self` source is written as the key `self` (typed_config contents included), or with an
    // escape in a quoted key: a file with neither the word nor a backslash has none, and its
    // resources (50,000 endpoints, say) need no walk.
    selfSource = text.includes("self") || text.includes("\\") ? options.selfConfigSource : undefined;
    const read = reader.read(text, { file });
    const problems = read.problems.map(readProblem);
    for (const n of read.notices) options.onNotice?.(readProblem(n));
    const held = read.resources.map((r) => r.value);
    const loaded = read.resources.map((r) => loadedOf(r.value, { file, path: r.path }));
    return { stamp, loaded, held, problems };
  };

  // After a load that validated (in warn mode, with violations), nothing keeps a message either.
  const release = (): void => {
    for (const state of files.values()) for (const h of state.held) if (h.resource.message !== undefined) h.resource = withoutMessage(h.resource);
  };

  return {
    load() {
      const problems: ConfigProblem[] = [];
      let list: string[];
      try {
        list = listConfigFiles(dir);
      } catch (e) {
        throw new ConfigError([{ file: dir, fieldPath: "", reason: `cannot read config directory: ${(e as Error).message}` }], e);
      }
      const loaded: LoadedResource[] = [];
      for (const file of list) {
        let state = files.get(file);
        try {
          const st = statSync(join(dir, file), { bigint: true });
          const stamp = `${st.size}:${st.mtimeNs}:${st.ino}`;
          if (state?.stamp !== stamp) {
            state = readFile(file, stamp);
            files.set(file, state);
          }
        } catch (e) {
          // Gone between the listing and the read (an editor's rename): the next change reloads.
          files.delete(file);
          reader.forget(file);
          problems.push({ file, fieldPath: "", reason: `cannot read: ${(e as Error).message}` });
          continue;
        }
        problems.push(...state.problems);
        loaded.push(...state.loaded);
      }
      for (const file of [...files.keys()]) {
        if (list.includes(file)) continue;
        files.delete(file);
        reader.forget(file);
      }

      const groups = new Map<string, GroupConfig>([[DEFAULT_GROUP, new Map()]]);
      for (const file of list) if (groupOf(file) !== DEFAULT_GROUP) groups.set(groupOf(file), new Map());
      const base = loaded.filter((l) => groupOf(l.origin.file) === DEFAULT_GROUP);
      for (const [name, group] of groups) {
        for (const l of base) addTo(group, l, problems);
        if (name !== DEFAULT_GROUP) for (const l of loaded.filter((x) => groupOf(x.origin.file) === name)) addTo(group, l, problems);
      }
      const validated = validateGroups(groups, options, problems);
      if (!validated) for (const [name, group] of groups) checkReferences(name, group, problems);
      // A default resource shared by several groups reports the same problem once.
      const unique = [...new Map(problems.map((p) => [`${p.file}|${p.fieldPath}|${p.reason}`, p])).values()];
      if (unique.length > 0) throw new ConfigError(unique);
      if (validated) release();
      return groups;
    },
  };
}

/**
 * Reads a config directory once (see {@link createConfigLoader}): files at its top level make the
 * `default` group; each subdirectory is a group (named after it) made of `default` plus its own
 * files, which override default resources of the same type and name. Every problem is collected;
 * any problem throws a {@link ConfigError} listing them all, so the caller keeps serving the last
 * good config.
 */
export function loadConfig(dir: string, registry: Registry, options: LoadConfigOptions = {}): Map<string, GroupConfig> {
  return createConfigLoader(dir, registry, options).load();
}
