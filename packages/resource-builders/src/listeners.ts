import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { FilterChainSchema, FilterSchema, type Filter } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_components_pb";
import { ListenerSchema, type Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import {
  TcpProxy_WeightedCluster_ClusterWeightSchema,
  TcpProxy_WeightedClusterSchema,
  TcpProxySchema,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { buildHttpConnectionManager, type HttpConnectionManagerOptions } from "./http-connection-manager.js";
import type { ClusterWeightOptions } from "./routes.js";
import { socketAddress } from "./socket-address.js";
import { downstreamTls, type DownstreamTlsOptions } from "./tls-transport-sockets.js";
import { checkHost, checkInt, checkName, checkPort, durationMs, fail, subject, type Subject } from "./validate.js";

/** What every listener builder accepts. */
export interface ListenerOptions {
  /** The listener name, unique per proxy. */
  readonly name: string;
  /** Port to bind, 1..65535, or 0: Envoy binds a free port (its admin `/listeners` says which). */
  readonly port: number;
  /** IP address to bind. Default: `"0.0.0.0"`. */
  readonly address?: string | undefined;
  /** Prefix of the filter's stats. Default: the listener name. */
  readonly statPrefix?: string | undefined;
  /** Terminate TLS (see `tlsCertificateSecret`). Default: plaintext. */
  readonly tls?: DownstreamTlsOptions | undefined;
}

/** Options of {@link httpListener}: exactly one of `rds`, `routes`, `scopedRoutes`. */
export interface HttpListenerOptions extends ListenerOptions, Omit<HttpConnectionManagerOptions, "statPrefix"> {}

/** Options of {@link tcpListener}: exactly one of `cluster` and `weightedClusters`. */
export interface TcpListenerOptions extends ListenerOptions {
  /** Proxy every connection to this cluster. */
  readonly cluster?: string | undefined;
  /** Or split connections between clusters; every weight ≥ 1. */
  readonly weightedClusters?: readonly ClusterWeightOptions[] | undefined;
  /** Close connections idle this long, in ms; 0 disables. Default: Envoy's (1 h). */
  readonly idleTimeoutMs?: number | undefined;
}

const HCM_FILTER = "envoy.filters.network.http_connection_manager";
const TCP_PROXY_FILTER = "envoy.filters.network.tcp_proxy";

/** A listener whose one filter chain is an HTTP connection manager (with the router last). */
export function httpListener(opts: HttpListenerOptions): Listener {
  const s = subject("Listener", opts.name);
  const name = checkName(s, "name", opts.name);
  const hcm = buildHttpConnectionManager(s, { ...opts, statPrefix: opts.statPrefix ?? name }, "");
  return listener(s, opts, create(FilterSchema, { name: HCM_FILTER, configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }));
}

/** A listener that proxies TCP connections (tcp_proxy) to a cluster. */
export function tcpListener(opts: TcpListenerOptions): Listener {
  const s = subject("Listener", opts.name);
  const name = checkName(s, "name", opts.name);
  if (opts.cluster !== undefined && opts.weightedClusters !== undefined) {
    fail(s, "conflicting-fields", "weightedClusters", "give either cluster or weightedClusters, not both");
  }
  const proxy = create(TcpProxySchema, { statPrefix: checkName(s, "statPrefix", opts.statPrefix ?? name) });
  if (opts.cluster !== undefined) {
    proxy.clusterSpecifier = { case: "cluster", value: checkName(s, "cluster", opts.cluster) };
  } else if (opts.weightedClusters !== undefined) {
    if (!Array.isArray(opts.weightedClusters) || opts.weightedClusters.length === 0) {
      fail(s, "missing-field", "weightedClusters", "must list at least one cluster");
    }
    const clusters = opts.weightedClusters.map((c, i) =>
      create(TcpProxy_WeightedCluster_ClusterWeightSchema, {
        name: checkName(s, `weightedClusters[${i}].name`, c.name),
        weight: checkInt(s, `weightedClusters[${i}].weight`, c.weight, 1),
      }),
    );
    proxy.clusterSpecifier = { case: "weightedClusters", value: create(TcpProxy_WeightedClusterSchema, { clusters }) };
  } else {
    fail(s, "missing-field", "cluster", "a TCP listener needs cluster or weightedClusters");
  }
  if (opts.idleTimeoutMs !== undefined) proxy.idleTimeout = durationMs(s, "idleTimeoutMs", opts.idleTimeoutMs);
  return listener(s, opts, create(FilterSchema, { name: TCP_PROXY_FILTER, configType: { case: "typedConfig", value: anyPack(TcpProxySchema, proxy) } }));
}

function listener(s: Subject, opts: ListenerOptions, filter: Filter): Listener {
  const host = checkHost(s, "address", opts.address ?? "0.0.0.0", true);
  const port = opts.port === 0 ? 0 : checkPort(s, "port", opts.port);
  const chain = create(FilterChainSchema, { filters: [filter] });
  if (opts.tls !== undefined) chain.transportSocket = downstreamTls(s, opts.tls);
  return create(ListenerSchema, { name: opts.name, address: socketAddress(host, port), filterChains: [chain] });
}
