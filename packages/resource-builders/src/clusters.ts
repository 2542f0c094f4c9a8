import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_EdsClusterConfigSchema,
  Cluster_LbPolicy,
  ClusterSchema,
  type Cluster,
} from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { Http2ProtocolOptionsSchema } from "@xdskit/envoy-api/envoy/config/core/v3/protocol_pb";
import {
  HttpProtocolOptions_ExplicitHttpConfigSchema,
  HttpProtocolOptionsSchema,
} from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { configSource } from "./config-sources.js";
import { loadAssignment, type EndpointOptions } from "./endpoints.js";
import { upstreamTls, type UpstreamTlsOptions } from "./tls-transport-sockets.js";
import { checkName, durationMs, fail, subject, type Subject } from "./validate.js";

/** Load balancing policy of a cluster. */
export type LbPolicy = "round-robin" | "least-request" | "random" | "ring-hash" | "maglev";

/** What every cluster builder accepts. */
export interface ClusterOptions {
  /** The cluster name (what routes and EDS refer to). */
  readonly name: string;
  /** Connect timeout in ms (≥ 1). Default: 5000. */
  readonly connectTimeoutMs?: number | undefined;
  /** Speak HTTP/2 to the upstream (needed for gRPC upstreams). Default: false (HTTP/1.1). */
  readonly http2?: boolean | undefined;
  /** Originate TLS to the upstream. With `http2`, ALPN defaults to `h2`. Default: plaintext. */
  readonly tls?: UpstreamTlsOptions | undefined;
  /** Default: `"round-robin"`. */
  readonly lbPolicy?: LbPolicy | undefined;
}

/** Options of {@link edsCluster}. */
export interface EdsClusterOptions extends ClusterOptions {
  /** The EDS resource name to ask for. Default: none, which makes Envoy ask for the cluster's own name. */
  readonly serviceName?: string | undefined;
  /** Where endpoints come from. Default: `configSource("ads")`. */
  readonly configSource?: ConfigSource | undefined;
}

/** Options of {@link staticCluster}. */
export interface StaticClusterOptions extends ClusterOptions {
  /** The hosts, by IP address. */
  readonly endpoints: readonly EndpointOptions[];
}

/** DNS lookup family of a STRICT_DNS cluster. */
export type DnsLookupFamily = "auto" | "v4-only" | "v6-only" | "v4-preferred" | "all";

/** Options of {@link strictDnsCluster}. */
export interface StrictDnsClusterOptions extends ClusterOptions {
  /** The hosts, by DNS name or IP address; every address a name resolves to becomes an endpoint. */
  readonly endpoints: readonly EndpointOptions[];
  /** Default: Envoy's (`"auto"`). */
  readonly dnsLookupFamily?: DnsLookupFamily | undefined;
}

/** A cluster whose endpoints come from EDS (by default over ADS). */
export function edsCluster(opts: EdsClusterOptions): Cluster {
  const s = subject("Cluster", opts.name);
  const cluster = baseCluster(s, opts, Cluster_DiscoveryType.EDS);
  cluster.edsClusterConfig = create(Cluster_EdsClusterConfigSchema, {
    edsConfig: opts.configSource ?? configSource("ads"),
    serviceName: opts.serviceName === undefined ? "" : checkName(s, "serviceName", opts.serviceName),
  });
  return cluster;
}

/** A cluster with a fixed list of IP endpoints, carried in the cluster itself. */
export function staticCluster(opts: StaticClusterOptions): Cluster {
  const s = subject("Cluster", opts.name);
  const cluster = baseCluster(s, opts, Cluster_DiscoveryType.STATIC);
  cluster.loadAssignment = loadAssignment(s, opts.name, opts.endpoints, true);
  return cluster;
}

/**
 * A cluster whose endpoints are DNS names Envoy resolves and keeps
 * re-resolving (every 5 s by default). The refresh rate is not an option:
 * Envoy 1.40 deprecates the Cluster field for it.
 */
export function strictDnsCluster(opts: StrictDnsClusterOptions): Cluster {
  const s = subject("Cluster", opts.name);
  const cluster = baseCluster(s, opts, Cluster_DiscoveryType.STRICT_DNS);
  cluster.loadAssignment = loadAssignment(s, opts.name, opts.endpoints, false);
  if (opts.dnsLookupFamily !== undefined) cluster.dnsLookupFamily = pick(s, "dnsLookupFamily", dnsFamilies, opts.dnsLookupFamily);
  return cluster;
}

const lbPolicies: Record<LbPolicy, Cluster_LbPolicy> = {
  "round-robin": Cluster_LbPolicy.ROUND_ROBIN,
  "least-request": Cluster_LbPolicy.LEAST_REQUEST,
  random: Cluster_LbPolicy.RANDOM,
  "ring-hash": Cluster_LbPolicy.RING_HASH,
  maglev: Cluster_LbPolicy.MAGLEV,
};

const dnsFamilies: Record<DnsLookupFamily, Cluster_DnsLookupFamily> = {
  auto: Cluster_DnsLookupFamily.AUTO,
  "v4-only": Cluster_DnsLookupFamily.V4_ONLY,
  "v6-only": Cluster_DnsLookupFamily.V6_ONLY,
  "v4-preferred": Cluster_DnsLookupFamily.V4_PREFERRED,
  all: Cluster_DnsLookupFamily.ALL,
};

const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

function baseCluster(s: Subject, opts: ClusterOptions, type: Cluster_DiscoveryType): Cluster {
  const name = checkName(s, "name", opts.name);
  const cluster = create(ClusterSchema, {
    name,
    connectTimeout: durationMs(s, "connectTimeoutMs", opts.connectTimeoutMs ?? 5000, 1),
    clusterDiscoveryType: { case: "type", value: type },
    lbPolicy: opts.lbPolicy === undefined ? Cluster_LbPolicy.ROUND_ROBIN : pick(s, "lbPolicy", lbPolicies, opts.lbPolicy),
  });
  if (opts.http2 === true) {
    const options = create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: {
        case: "explicitHttpConfig",
        value: create(HttpProtocolOptions_ExplicitHttpConfigSchema, {
          protocolConfig: { case: "http2ProtocolOptions", value: create(Http2ProtocolOptionsSchema) },
        }),
      },
    });
    cluster.typedExtensionProtocolOptions = { [HTTP_PROTOCOL_OPTIONS]: anyPack(HttpProtocolOptionsSchema, options) };
  }
  if (opts.tls !== undefined) {
    const alpn = opts.tls.alpnProtocols ?? (opts.http2 === true ? ["h2"] : []);
    cluster.transportSocket = upstreamTls(s, { ...opts.tls, alpnProtocols: alpn });
  }
  return cluster;
}

function pick<K extends string, V>(s: Subject, field: string, table: Record<K, V>, key: K): V {
  if (!Object.hasOwn(table, key)) fail(s, "invalid-value", field, `must be one of ${Object.keys(table).join(", ")}, got "${key}"`);
  return table[key];
}
