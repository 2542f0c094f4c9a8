import { writeFileSync } from "node:fs";
import { join } from "node:path";
// What a real Envoy says it holds, flattened from admin /config_dump into `"<type URL> <name>" → version`.
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import type { ConfigDump, EnvoyProcess } from "@xdskit/envoy-tool";

/** The type-level `version_info` of clusters and listeners has this name. */
export const TYPE_LEVEL = "*";

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const obj = (v: unknown): Json => (typeof v === "object" && v !== null ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function section(dump: ConfigDump, kind: string): Json {
  return dump.configs.find((c) => c["@type"].endsWith(`.${kind}`)) ?? {};
}

export interface DumpView {
  /**
   * `"<type URL> <name>"` → version_info, for every dynamic resource Envoy
   * holds active; for endpoint assignments (dumped without a version) the
   * sorted `host:port` list.
   */
  readonly versions: Map<string, string>;
  /** Dynamic listeners with an `error_state` (a rejected update), by name: the error details. */
  readonly listenerErrors: Map<string, string>;
  /** Names of clusters and listeners still warming. */
  readonly warming: string[];
}

export async function readConfigDump(envoy: EnvoyProcess): Promise<DumpView> {
  const dump = await envoy.configDump({ eds: true });
  // Kept beside the log: the last dump a failed test looked at.
  writeFileSync(join(envoy.workDir, "config_dump.json"), JSON.stringify(dump, null, 2));
  const versions = new Map<string, string>();
  const set = (typeUrl: string, name: string, version: unknown) => versions.set(`${typeUrl} ${name}`, str(version));
  const warming: string[] = [];
  const listenerErrors = new Map<string, string>();

  const clusters = section(dump, "ClustersConfigDump");
  if (clusters["version_info"] !== undefined) set(CLUSTER_TYPE_URL, TYPE_LEVEL, clusters["version_info"]);
  for (const c of list(clusters["dynamic_active_clusters"])) set(CLUSTER_TYPE_URL, str(obj(c["cluster"])["name"]), c["version_info"]);
  for (const c of list(clusters["dynamic_warming_clusters"])) warming.push(`cluster ${str(obj(c["cluster"])["name"])}`);

  const listeners = section(dump, "ListenersConfigDump");
  if (listeners["version_info"] !== undefined) set(LISTENER_TYPE_URL, TYPE_LEVEL, listeners["version_info"]);
  for (const l of list(listeners["dynamic_listeners"])) {
    const name = str(l["name"]);
    if (l["active_state"] !== undefined) set(LISTENER_TYPE_URL, name, obj(l["active_state"])["version_info"]);
    if (l["warming_state"] !== undefined) warming.push(`listener ${name}`);
    if (l["error_state"] !== undefined) listenerErrors.set(name, JSON.stringify(l["error_state"]));
  }

  for (const r of list(section(dump, "RoutesConfigDump")["dynamic_route_configs"])) set(ROUTE_TYPE_URL, str(obj(r["route_config"])["name"]), r["version_info"]);
  for (const s of list(section(dump, "ScopedRoutesConfigDump")["dynamic_scoped_route_configs"])) {
    for (const scope of list(s["scoped_route_configs"])) set(SCOPED_ROUTE_TYPE_URL, str(scope["name"]), s["version_info"]);
  }
  for (const e of list(section(dump, "EcdsConfigDump")["ecds_filters"])) set(EXTENSION_CONFIG_TYPE_URL, str(obj(e["ecds_filter"])["name"]), e["version_info"]);
  // Envoy dumps EDS from the cluster's host set, without a version: record the endpoints instead.
  for (const e of list(section(dump, "EndpointsConfigDump")["dynamic_endpoint_configs"])) {
    const cla = obj(e["endpoint_config"]);
    const hosts = list(cla["endpoints"]).flatMap((locality) =>
      list(locality["lb_endpoints"]).map((lb) => {
        const address = obj(obj(obj(obj(lb["endpoint"])["address"])["socket_address"]));
        return `${str(address["address"])}:${String(address["port_value"])}`;
      }),
    );
    set(ENDPOINT_TYPE_URL, str(cla["cluster_name"]), hosts.sort().join(","));
  }
  for (const s of list(section(dump, "SecretsConfigDump")["dynamic_active_secrets"])) set(SECRET_TYPE_URL, str(s["name"]), s["version_info"]);
  return { versions, listenerErrors, warming };
}

/** The values of Envoy's merged runtime, from admin /runtime. */
export async function readRuntime(envoy: EnvoyProcess): Promise<Map<string, string>> {
  const body = JSON.parse(await envoy.admin("/runtime")) as { entries?: Record<string, { final_value?: string }> };
  return new Map(Object.entries(body.entries ?? {}).map(([key, entry]) => [key, entry.final_value ?? ""]));
}

/** `"<type URL> <name>"` keys, shortened for messages. */
export function shortKey(key: string): string {
  return key.replace(/^type\.googleapis\.com\/(?:envoy\.[\w.]+\.v3\.)?/, "");
}
