// `xdskit-example-control-plane apply|get|delete …`: the config in etcd that `--source etcd`
// replicas serve. `apply -f <dir>` checks a config directory exactly as the file source would
// (parse, decode, references, duplicates) and writes it in one etcd transaction.
import { toJson, type Registry } from "@bufbuild/protobuf";
import { defaultResourceTypes, type CachedResource } from "@xdskit/cache-core";
import { configSource } from "@xdskit/resource-builders/config-source";
import { createEtcdClient, createEtcdWriter, EtcdStoreError, type EtcdWriter, type StoredResources } from "@xdskit/store-etcd";
import { Command, CommanderError, Option } from "commander";
import { stringify } from "yaml";
import { etcdEndpoints, type XdsMode } from "./cli-options.js";
import { ConfigError, formatProblem } from "./config-error.js";
import { loadConfig } from "./load-config.js";
import { createValidator } from "@xdskit/validate";

export { STORE_COMMANDS } from "./store-commands.js";

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

interface EtcdFlags {
  etcdEndpoints: string[];
  etcdPrefix: string;
}

/** A type URL from `Cluster`, `envoy.config.cluster.v3.Cluster` or the full URL. */
export function resolveType(given: string): string {
  const urls = defaultResourceTypes.typeUrls();
  const found = urls.find((u) => u === given || u.endsWith(`/${given}`) || u.endsWith(`.${given}`));
  if (found === undefined) throw new Error(`unknown resource type "${given}" (one of ${urls.map((u) => u.slice(u.lastIndexOf(".") + 1)).join(", ")})`);
  return found;
}

const shortType = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf(".") + 1);

function listResources(stored: StoredResources, group?: string, typeUrl?: string, name?: string): { group: string; resource: CachedResource }[] {
  const out: { group: string; resource: CachedResource }[] = [];
  for (const [g, types] of [...stored.groups].sort(([a], [b]) => a.localeCompare(b))) {
    if (group !== undefined && g !== group) continue;
    for (const [t, byName] of types) {
      if (typeUrl !== undefined && t !== typeUrl) continue;
      for (const [n, resource] of [...byName].sort(([a], [b]) => a.localeCompare(b))) if (name === undefined || n === name) out.push({ group: g, resource });
    }
  }
  return out;
}

async function withWriter<T>(flags: EtcdFlags, registry: Registry, fn: (writer: EtcdWriter) => Promise<T>): Promise<T> {
  const client = createEtcdClient({ endpoints: flags.etcdEndpoints });
  try {
    return await fn(createEtcdWriter({ client, prefix: flags.etcdPrefix, registry }));
  } finally {
    client.close();
  }
}

/**
 * Runs one store command; resolves the exit code (0 done, 1 refused or
 * failed, 2 bad usage). Nothing is written unless the whole input is valid.
 */
export async function runStoreCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const { envoyRegistry: registry } = await import("@xdskit/envoy-api");
  // apply refuses a config that breaks Envoy's rules, as the control plane would.
  const validator = createValidator({ registry });
  let code = 0;
  const etcdOptions = (cmd: Command): Command =>
    cmd
      .option("--etcd-endpoints <urls>", "etcd client URLs, comma-separated", etcdEndpoints, ["http://127.0.0.1:2379"])
      .option("--etcd-prefix <prefix>", "etcd key prefix of the resources", "/xdskit/");
  const program = new Command()
    .name("xdskit-example-control-plane")
    .description("Manages the config in etcd that control planes started with --source etcd serve.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  etcdOptions(
    program
      .command("apply")
      .description("check a config directory (as --config reads it) and make etcd hold exactly it, in one transaction")
      .requiredOption("-f, --file <dir>", "the config directory: files at the top are the default group, each subdirectory a node group")
      .addOption(new Option("--mode <mode>", "how the Envoys talk to the control plane: what `self: {}` config sources become").choices(["ads", "xds", "delta", "delta-ads", "rest"]).default("ads")),
  ).action(async (o: EtcdFlags & { file: string; mode: XdsMode }) => {
    let groups: ReturnType<typeof loadConfig>;
    try {
      groups = loadConfig(o.file, registry, { selfConfigSource: configSource(o.mode), validate: validator });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`${o.file} was not applied: ${error.problems.length} problem(s)`);
      for (const p of error.problems) io.err(`  ${formatProblem(p)}`);
      code = 1;
      return;
    }
    const resources = new Map([...groups].map(([group, config]) => [group, [...config.values()].flatMap((byName) => [...byName.values()].map((l) => l.resource))]));
    const r = await withWriter(o, registry, (w) => w.replace(resources));
    const count = [...resources.values()].reduce((n, list) => n + list.length, 0);
    io.out(`applied ${o.file} (${resources.size} groups, ${count} resources) to ${o.etcdPrefix}: revision ${r.revision}, ${r.put} written, ${r.deleted} deleted, ${r.unchanged} unchanged`);
  });

  etcdOptions(
    program
      .command("get")
      .description("list what etcd holds: every group, or one group, type or resource")
      .argument("[group]")
      .argument("[type]", "Cluster, Listener, … or a type URL")
      .argument("[name]")
      .addOption(new Option("-o, --output <format>", "names, or the resources as protobuf JSON/YAML by group").choices(["names", "json", "yaml"]).default("names")),
  ).action(async (group: string | undefined, type: string | undefined, name: string | undefined, o: EtcdFlags & { output: "names" | "json" | "yaml" }) => {
    const stored = await withWriter(o, registry, (w) => w.read());
    const found = listResources(stored, group, type === undefined ? undefined : resolveType(type), name);
    for (const bad of stored.invalid) io.err(`skipped ${bad.key}: ${bad.reason}`);
    if (o.output === "names") {
      for (const { group: g, resource } of found) io.out(`${g}\t${shortType(resource.typeUrl)}\t${resource.name}`);
    } else {
      const byGroup: Record<string, unknown[]> = {};
      for (const { group: g, resource } of found) {
        const json = resource.schema && resource.message ? toJson(resource.schema, resource.message, { registry, useProtoFieldName: true }) : null;
        byGroup[g] = [...(byGroup[g] ?? []), { "@type": resource.typeUrl, ...(json as object) }];
      }
      io.out(o.output === "json" ? JSON.stringify(byGroup, null, 2) : stringify(byGroup).trimEnd());
    }
    if (found.length === 0 && name !== undefined) code = 1;
  });

  etcdOptions(
    program
      .command("delete")
      .description("delete a group, a type of a group, or one resource, in one transaction")
      .argument("<group>")
      .argument("[type]", "Cluster, Listener, … or a type URL")
      .argument("[name]"),
  ).action(async (group: string, type: string | undefined, name: string | undefined, o: EtcdFlags) => {
    const typeUrl = type === undefined ? undefined : resolveType(type);
    const r = await withWriter(o, registry, async (w) => {
      const refs = listResources(await w.read(), group, typeUrl, name).map(({ resource }) => ({ group, typeUrl: resource.typeUrl, name: resource.name }));
      return { refs: refs.length, result: refs.length === 0 ? undefined : await w.delete(refs) };
    });
    if (r.result === undefined) {
      io.err(`nothing to delete: ${[group, type, name].filter((s) => s !== undefined).join(" ")} is not in etcd`);
      code = 1;
      return;
    }
    io.out(`deleted ${r.refs} resources: revision ${r.result.revision}`);
  });

  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof EtcdStoreError) {
      io.err(`${error.code}: ${error.message}`);
      return 1;
    }
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}
