// The parts of two /config_dump answers that must be equal, the static Envoy's and the one fed
// over ADS. What legitimately differs is normalised, each for the reason given:
// - where a resource sits: static_listeners / dynamic_listeners[].active_state, static_clusters /
//   dynamic_active_clusters, static_secrets / dynamic_active_secrets: the resources are taken out
//   of their sections and compared as lists sorted by name;
// - version_info and last_updated: they describe the delivery, not the resource: not compared;
// - the bootstrap: static_resources, dynamic_resources and admin differ by construction (the
//   converter's bootstrap swaps the first two for the control plane; the test sets admin): the
//   rest (node, tracing, stats, layered runtime, overload manager...) is compared;
// - the ADS cluster of the dynamic Envoy: not a resource of the config: left out;
// - an unnamed listener: Envoy 1.40 dumps it without a name (it uses a random UUID inside);
//   served over xDS it has the name the converter gave it after its address: the static one
//   takes the dynamic listener's name on the same address (the test checks that name separately);
// - a secret's files: Envoy dumps a static secret as written (`filename`, the private key's
//   name redacted) but a secret it got over SDS with what it read (`inline_bytes`, the private key
//   redacted): the static one's files are read and put inline (a redacted name as redacted bytes);
// - a reference to a static secret: over xDS it must say where the secret comes from
//   (`sds_config: {ads: {}}`, which a static config cannot say): that source is removed before
//   comparing.

import { readFileSync } from "node:fs";

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

export interface DumpResources {
  readonly bootstrap: Json;
  readonly listeners: Json[];
  readonly clusters: Json[];
  readonly routes: Json[];
  readonly secrets: Json[];
}

const section = (dump: Json, kind: string): Json => list(dump["configs"]).find((c) => String(c["@type"]).endsWith(`.${kind}`)) ?? {};
const byName = (a: Json, b: Json): number => String(a["name"]).localeCompare(String(b["name"]));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ADS = JSON.stringify({ ads: {}, resource_api_version: "V3" });

/** Removes `sds_config: {ads: {}, resource_api_version: V3}` from every secret reference. */
function dropAdsSecretSources(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropAdsSecretSources);
  if (typeof v !== "object" || v === null) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "sds_config" && JSON.stringify(x) === ADS) continue;
    out[k] = dropAdsSecretSources(x);
  }
  return out;
}

/** `{filename: F}` data sources as `{inline_bytes: base64 of F's contents}`, "[redacted]" kept redacted. */
export function inlineFiles(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(inlineFiles);
  if (typeof v !== "object" || v === null) return v;
  const entries = Object.entries(v);
  const [only] = entries;
  if (entries.length === 1 && only !== undefined && only[0] === "filename" && typeof only[1] === "string") {
    const bytes = only[1] === "[redacted]" ? Buffer.from("[redacted]") : readFileSync(only[1]);
    return { inline_bytes: bytes.toString("base64") };
  }
  return Object.fromEntries(entries.map(([k, x]) => [k, inlineFiles(x)]));
}

function bootstrapOf(dump: Json): Json {
  const { static_resources: _s, dynamic_resources: _d, admin: _a, ...rest } = obj(section(dump, "BootstrapConfigDump")["bootstrap"]);
  return rest;
}

/** The resources of a static Envoy's dump. */
export function staticResourcesOf(dump: Json): DumpResources {
  return {
    bootstrap: bootstrapOf(dump),
    listeners: list(section(dump, "ListenersConfigDump")["static_listeners"]).map((l) => obj(l["listener"])),
    clusters: list(section(dump, "ClustersConfigDump")["static_clusters"]).map((c) => obj(c["cluster"])).sort(byName),
    routes: list(section(dump, "RoutesConfigDump")["static_route_configs"]).map((r) => obj(r["route_config"])).sort(byName),
    secrets: list(section(dump, "SecretsConfigDump")["static_secrets"])
      .map((s) => inlineFiles(obj(s["secret"])) as Json)
      .sort(byName),
  };
}

/** The resources a dynamic Envoy's dump holds (active); its ADS cluster is static, not among them. */
export function dynamicResourcesOf(dump: Json): DumpResources {
  const clusters = section(dump, "ClustersConfigDump");
  return {
    bootstrap: bootstrapOf(dump),
    listeners: list(section(dump, "ListenersConfigDump")["dynamic_listeners"])
      .filter((l) => l["active_state"] !== undefined)
      .map((l) => dropAdsSecretSources(obj(obj(l["active_state"])["listener"])) as Json)
      .sort(byName),
    clusters: list(clusters["dynamic_active_clusters"])
      .map((c) => dropAdsSecretSources(obj(c["cluster"])) as Json)
      .sort(byName),
    routes: list(section(dump, "RoutesConfigDump")["static_route_configs"]).map((r) => obj(r["route_config"])).sort(byName),
    secrets: list(section(dump, "SecretsConfigDump")["dynamic_active_secrets"]).map((s) => obj(s["secret"])).sort(byName),
  };
}

/** The dynamic Envoy's static clusters: only its ADS cluster is expected there. */
export function staticClusterNames(dump: Json): string[] {
  return list(section(dump, "ClustersConfigDump")["static_clusters"]).map((c) => String(obj(c["cluster"])["name"]));
}

/** What the dynamic Envoy still warms, or dynamic listeners in error. */
export function pending(dump: Json): string[] {
  const out: string[] = [];
  for (const c of list(section(dump, "ClustersConfigDump")["dynamic_warming_clusters"])) out.push(`warming cluster ${String(obj(c["cluster"])["name"])}`);
  for (const l of list(section(dump, "ListenersConfigDump")["dynamic_listeners"])) {
    if (l["warming_state"] !== undefined) out.push(`warming listener ${String(l["name"])}`);
    if (l["error_state"] !== undefined) out.push(`listener ${String(l["name"])} in error: ${JSON.stringify(l["error_state"])}`);
  }
  return out;
}

/**
 * The static Envoy's unnamed listeners (no name in the dump, or a UUID) named after the
 * dynamic listener on the same address, sorted by name. Returns them and the renames done.
 */
export function adoptListenerNames(staticListeners: Json[], dynamicListeners: Json[]): { listeners: Json[]; renamed: string[] } {
  const renamed: string[] = [];
  const listeners = staticListeners.map((l) => {
    if (l["name"] !== undefined && !UUID.test(String(l["name"]))) return l;
    const twin = dynamicListeners.find((d) => JSON.stringify(d["address"]) === JSON.stringify(l["address"]));
    if (twin === undefined) return l;
    renamed.push(String(twin["name"]));
    return { ...l, name: twin["name"] };
  });
  return { listeners: listeners.sort(byName), renamed };
}
