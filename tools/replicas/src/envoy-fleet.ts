import { get, startEnvoy, type ConfigDump, type EnvoyProcess } from "@xdskit/envoy-tool";

/**
 * A bootstrap whose `xds_cluster` lists every replica, one per priority in
 * the given order, with TCP health checks: the proxy keeps its ADS stream on
 * its first healthy replica, and when that one dies, moves to the next.
 */
export function replicaBootstrap(nodeId: string, replicaPorts: readonly number[]): Record<string, unknown> {
  const ads = { ads: {}, resource_api_version: "V3" };
  return {
    node: { id: nodeId, cluster: "edge" },
    dynamic_resources: {
      ads_config: {
        api_type: "GRPC",
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }],
        set_node_on_first_message_only: true,
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name: "xds_cluster",
          type: "STATIC",
          connect_timeout: "0.5s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: "5s", timeout: "5s" } } },
            },
          },
          health_checks: [
            {
              timeout: "0.5s",
              interval: "0.5s",
              no_traffic_interval: "0.5s",
              unhealthy_threshold: 1,
              healthy_threshold: 1,
              tcp_health_check: {},
            },
          ],
          load_assignment: {
            cluster_name: "xds_cluster",
            endpoints: replicaPorts.map((port, priority) => ({
              priority,
              lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } }],
            })),
          },
        },
      ],
    },
  };
}

export interface FleetEnvoy {
  readonly nodeId: string;
  readonly envoy: EnvoyProcess;
  /** The port its listener `http` bound (the config says port 0). */
  listenerPort(): Promise<number>;
  /** The replica port its ADS stream is on (`rq_active` on an xds_cluster host), if any. */
  adsReplicaPort(): Promise<number | undefined>;
  /** Ports of the endpoints of cluster `cluster` in its EDS config. */
  edsPorts(cluster: string): Promise<number[]>;
  /** GET through its listener. */
  get(path: string): Promise<{ status: number; body: string }>;
}

export async function startFleetEnvoy(nodeId: string, replicaPorts: readonly number[]): Promise<FleetEnvoy> {
  const envoy = await startEnvoy({ name: nodeId, bootstrap: replicaBootstrap(nodeId, replicaPorts), logLevel: "warn" });
  const listenerPort = async (): Promise<number> => {
    const body = JSON.parse(await envoy.admin("/listeners?format=json")) as {
      listener_statuses?: { name: string; local_address?: { socket_address?: { port_value?: number } } }[];
    };
    const port = body.listener_statuses?.find((l) => l.name === "http")?.local_address?.socket_address?.port_value;
    if (port === undefined) throw new Error(`${nodeId} has no listener "http" yet`);
    return port;
  };
  return {
    nodeId,
    envoy,
    listenerPort,
    async adsReplicaPort() {
      const text = await envoy.admin("/clusters");
      for (const line of text.split("\n")) {
        const m = /^xds_cluster::127\.0\.0\.1:(\d+)::rq_active::(\d+)$/.exec(line.trim());
        if (m?.[1] !== undefined && Number(m[2]) > 0) return Number(m[1]);
      }
      return undefined;
    },
    async edsPorts(cluster) {
      const dump: ConfigDump = await envoy.configDump({ eds: true });
      const eds = dump.configs.find((c) => c["@type"].endsWith("EndpointsConfigDump")) as
        | { dynamic_endpoint_configs?: { endpoint_config: { cluster_name: string; endpoints?: { lb_endpoints?: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[] } }[] }
        | undefined;
      const cla = eds?.dynamic_endpoint_configs?.find((c) => c.endpoint_config.cluster_name === cluster)?.endpoint_config;
      return (cla?.endpoints ?? []).flatMap((e) => (e.lb_endpoints ?? []).map((l) => l.endpoint.address.socket_address.port_value));
    },
    async get(path) {
      const r = await get(await listenerPort(), path, { timeoutMs: 5_000 });
      return { status: r.status, body: r.body };
    },
  };
}

/** Resolves once `check` holds, re-checking every 100 ms (Envoy's state is polled over its admin API). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : ` (last error: ${String(last)})`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
