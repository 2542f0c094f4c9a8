import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The config the fleet runs on, as a config directory for `apply`: a
 * listener on 127.0.0.1:0 (each Envoy binds its own port, read back from its
 * admin) whose routes come over RDS, sending everything to cluster `app`,
 * whose one endpoint is `upstreamPort`. EDS and RDS use `self` sources.
 */
export function writeFleetConfig(dir: string, upstreamPort: number): void {
  mkdirSync(dir, { recursive: true });
  const self = { self: {}, resource_api_version: "V3" };
  const write = (file: string, resource: Record<string, unknown>): void => writeFileSync(join(dir, file), `${JSON.stringify(resource, null, 2)}\n`);
  write("clusters.json", {
    "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    name: "app",
    type: "EDS",
    connect_timeout: "1s",
    eds_cluster_config: { eds_config: self },
  });
  write("endpoints.json", {
    "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
    cluster_name: "app",
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: upstreamPort } } } }] }],
  });
  write("routes.json", {
    "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    name: "default",
    virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "app" } }] }],
  });
  write("listeners.json", {
    "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
    name: "http",
    address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: "http",
              rds: { route_config_name: "default", config_source: self },
              http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
            },
          },
        ],
      },
    ],
  });
}
