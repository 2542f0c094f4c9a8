import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Options of {@link writeBigConfig}. */
export interface BigConfigOptions {
  /** EDS clusters, each with its assignment. Default: 5,000. */
  readonly clusters?: number | undefined;
  /** Endpoints per assignment. Default: 10. */
  readonly endpointsPerCluster?: number | undefined;
}

const clusterText = (i: number, timeout = "1s"): string => `- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: service-${i}
  type: EDS
  connect_timeout: ${timeout}
  lb_policy: ROUND_ROBIN
  eds_cluster_config:
    eds_config:
      self: {}
      resource_api_version: V3
`;

/** The text of cluster `i` in clusters.yaml; `timeout` changes it (what the reload benchmark edits). */
export function bigConfigCluster(i: number, timeout = "1s"): string {
  return clusterText(i, timeout);
}

/**
 * Writes a config directory for the example app the size of a large deployment: `clusters`
 * EDS clusters (clusters.yaml), their assignments with `endpointsPerCluster` endpoints each
 * (endpoints.yaml, the bulk of it), one listener and one route configuration with a route per
 * cluster. 5,000 × 10 gives 50,000 endpoints, about 6 MB of YAML, written as people write it
 * (block style, one resource per list item). Returns the total size in bytes.
 */
export function writeBigConfig(dir: string, options: BigConfigOptions = {}): number {
  const n = options.clusters ?? 5_000;
  const per = options.endpointsPerCluster ?? 10;
  mkdirSync(dir, { recursive: true });
  const clusters: string[] = [];
  const endpoints: string[] = [];
  const routes: string[] = [];
  for (let i = 0; i < n; i++) {
    clusters.push(clusterText(i));
    const lb: string[] = [];
    for (let e = 0; e < per; e++) {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.${e + 1}`;
      lb.push(`    - endpoint: {address: {socket_address: {address: ${ip}, port_value: 8080}}}\n`);
    }
    endpoints.push(`- "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
  cluster_name: service-${i}
  endpoints:
  - locality:
      zone: zone-${i % 3}
    lb_endpoints:
${lb.join("")}`);
    routes.push(`    - match: {prefix: "/service-${i}/"}
      route: {cluster: service-${i}, timeout: 5s}
`);
  }
  const listener = `- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: http
  address:
    socket_address: {address: 127.0.0.1, port_value: 10000}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: http
        rds:
          route_config_name: default
          config_source: {self: {}, resource_api_version: V3}
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`;
  const route = `- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
  name: default
  virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
${routes.join("")}`;
  const files: [string, string][] = [
    ["clusters.yaml", clusters.join("")],
    ["endpoints.yaml", endpoints.join("")],
    ["listeners.yaml", listener],
    ["routes.yaml", route],
  ];
  let size = 0;
  for (const [name, text] of files) {
    writeFileSync(join(dir, name), text);
    size += Buffer.byteLength(text);
  }
  return size;
}
