import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { lazyEnvoyRegistry } from "@xdskit/envoy-config";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { configSource } from "@xdskit/resource-builders";
import { describe, expect, it } from "vitest";
import { resolveSelfConfigSources } from "./resolve-self-config-sources.js";

const registry = lazyEnvoyRegistry();
const ads = configSource("ads");
const self = { self: {}, resource_api_version: "V3" };

describe("resolveSelfConfigSources", () => {
  it("replaces self in a cluster's EDS config and in config sources inside typed_config (Any), oneofs and maps", () => {
    const cluster = fromJson(
      ClusterSchema,
      {
        name: "c",
        type: "EDS",
        eds_cluster_config: { eds_config: self },
        // A oneof member (cluster_type) and a map of Any: nothing to replace there, but walked.
        typed_extension_protocol_options: {
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        lrs_server: { path_config_source: { path: "/etc/lrs.yaml" } },
      },
      { registry },
    );
    expect(resolveSelfConfigSources(ClusterSchema, cluster, ads, registry)).toBe(1);
    expect(cluster.edsClusterConfig?.edsConfig?.configSourceSpecifier.case).toBe("ads");
    // A source that is not self stays as written.
    expect(cluster.lrsServer?.configSourceSpecifier.case).toBe("pathConfigSource");

    const listener = fromJson(
      ListenerSchema,
      {
        name: "l",
        filter_chains: [
          {
            filters: [
              {
                name: "envoy.filters.network.http_connection_manager",
                typed_config: {
                  "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                  stat_prefix: "http",
                  rds: { route_config_name: "r", config_source: self },
                },
              },
            ],
          },
        ],
      },
      { registry },
    );
    expect(resolveSelfConfigSources(ListenerSchema, listener, ads, registry)).toBe(1);
    const json = JSON.stringify(toJson(ListenerSchema, listener, { registry, useProtoFieldName: true }));
    expect(json).toContain('"config_source":{"ads":{},"resource_api_version":"V3"}');
    expect(json).not.toContain('"self"');
  });

  it("leaves messages without self sources unchanged", () => {
    const cla = fromJson(
      ClusterLoadAssignmentSchema,
      {
        cluster_name: "c",
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "10.0.0.1", port_value: 80 } } }, metadata: { filter_metadata: { a: { b: 1 } } } }] }],
      } as JsonValue,
      { registry },
    );
    const before = toJson(ClusterLoadAssignmentSchema, cla);
    expect(resolveSelfConfigSources(ClusterLoadAssignmentSchema, cla, ads, registry)).toBe(0);
    expect(toJson(ClusterLoadAssignmentSchema, cla)).toEqual(before);
    const source = create(ConfigSourceSchema, { configSourceSpecifier: { case: "self", value: {} } });
    expect(resolveSelfConfigSources(ConfigSourceSchema, source, ads, registry)).toBe(1);
  });
});
