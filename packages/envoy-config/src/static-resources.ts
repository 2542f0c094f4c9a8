import { clone, type DescMessage, type Message, type Registry } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, resourceName, SECRET_TYPE_URL } from "@xdskit/cache-core";
import type { Bootstrap } from "@xdskit/envoy-api/envoy/config/bootstrap/v3/bootstrap_pb";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import type { SdsSecretConfig } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { ConfigReadError, type ConfigProblem } from "./config-problem.js";
import { nameListeners } from "./listener-name.js";
import type { ConfigResource } from "./read-resources.js";
import { walkMessages } from "./walk-messages.js";

/** Options of {@link staticResources}. */
export interface StaticResourcesOptions {
  /** Holds the resources' types (Listener, Cluster, Secret) and the types inside their `Any` values. */
  readonly registry: Registry;
  /** Named in the resources and notices. Default: `"<bootstrap>"`. */
  readonly file?: string | undefined;
  /**
   * Where Envoy is to fetch the secrets that were static: a reference to a static secret
   * (`sds_secret_config` with a name and no `sds_config`) only finds secrets of the bootstrap, so
   * once the secrets are served over SDS each such reference gets this source. Default: none (the
   * references are left alone and each is reported as a notice).
   */
  readonly secretConfigSource?: ConfigSource | undefined;
}

/** The resources of a bootstrap's `static_resources`, and what is worth knowing about them. */
export interface StaticResourcesResult {
  /** The listeners, clusters and secrets of `static_resources`, as resources to serve. */
  readonly resources: ConfigResource[];
  /** Listeners named after their address, secret references given `secretConfigSource` or left alone. */
  readonly notices: ConfigProblem[];
}

const SDS_SECRET_CONFIG = "envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig";

/**
 * The listeners, clusters and secrets of a bootstrap's `static_resources` as xDS resources: what a
 * control plane serves to move a static Envoy config to a dynamic one. A listener without a name
 * (Envoy gives it a random one) is named after its address ({@link listenerNameOf}); with
 * `secretConfigSource`, references to static secrets are pointed at SDS. The bootstrap's messages
 * are used, not copied: listeners get their names in place.
 *
 * @throws {ConfigReadError} `invalid-option` when the registry does not hold a resource's type.
 */
export function staticResources(bootstrap: Bootstrap, options: StaticResourcesOptions): StaticResourcesResult {
  const file = options.file ?? "<bootstrap>";
  const s = bootstrap.staticResources;
  const notices: ConfigProblem[] = [];
  const resources: ConfigResource[] = [];
  if (s === undefined) return { resources, notices };
  const schemaOf = (m: Message): DescMessage => {
    const schema = options.registry.getMessage(m.$typeName);
    if (schema === undefined) throw ConfigReadError.invalidOption(`the registry given to staticResources does not hold ${m.$typeName}`);
    return schema;
  };
  for (const { index, name } of nameListeners(s.listeners)) {
    notices.push({ file, path: `static_resources.listeners[${index}]`, message: `a listener without a name: named "${name}" after its address` });
  }
  const add = (typeUrl: string, list: readonly Message[], field: string): void => {
    list.forEach((message, i) => {
      const schema = schemaOf(message);
      resources.push({ typeUrl, name: resourceName(schema, message, { typeUrl }), schema, message, file, path: `static_resources.${field}[${i}]` });
    });
  };
  add(LISTENER_TYPE_URL, s.listeners, "listeners");
  add(CLUSTER_TYPE_URL, s.clusters, "clusters");
  add(SECRET_TYPE_URL, s.secrets, "secrets");

  const secrets = new Set(s.secrets.map((x) => x.name));
  for (const r of resources) {
    if (r.typeUrl === SECRET_TYPE_URL) continue;
    walkMessages(r.schema, r.message, options.registry, (m) => {
      if (m.desc.typeName !== SDS_SECRET_CONFIG) return false;
      const ref = m.message as SdsSecretConfig;
      if (ref.sdsConfig !== undefined || !secrets.has(ref.name)) return false;
      const source = options.secretConfigSource;
      if (source === undefined) {
        notices.push({ file, path: r.path, message: `refers to the static secret "${ref.name}": served over SDS, it needs an sds_config (pass secretConfigSource)` });
        return false;
      }
      const sourceSchema = m.desc.fields.find((f) => f.name === "sds_config");
      if (sourceSchema?.fieldKind !== "message") return false;
      ref.sdsConfig = clone(sourceSchema.message, source) as ConfigSource;
      notices.push({ file, path: r.path, message: `refers to the static secret "${ref.name}": now fetched over SDS from secretConfigSource` });
      return true;
    });
  }
  return { resources, notices };
}
