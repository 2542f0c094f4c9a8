// Puts resources into an Envoy bootstrap, as close to how Envoy receives them over xDS as a
// static bootstrap allows, and asks a real Envoy 1.40 about them (--mode validate).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, createFileRegistry, createRegistry, toJson, type JsonObject, type JsonValue, type Message } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, EXTENSION_CONFIG_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL, RUNTIME_TYPE_URL, SCOPED_ROUTE_TYPE_URL, SECRET_TYPE_URL, VIRTUAL_HOST_TYPE_URL } from "@xdskit/cache-core";
import { envoyRegistry } from "@xdskit/envoy-api/registry";
import { ensureEnvoy } from "@xdskit/envoy-tool";
import type { TypedResource } from "./resources.js";
import { runProcess } from "./run-process.js";

// Empty types under the names tests use for "a type nobody knows", so protobuf JSON can carry
// them to Envoy (which knows them no better).
const unknownTypes = createFileRegistry(
  create(FileDescriptorProtoSchema, { name: "example/v1/unknown.proto", package: "example.v1", syntax: "proto3", messageType: [{ name: "Unknown" }, { name: "Filter" }, { name: "Ext" }] }),
  () => undefined,
);
const jsonRegistry = createRegistry(envoyRegistry, unknownTypes);

const json = (m: Message): JsonObject => {
  const schema = envoyRegistry.getMessage(m.$typeName);
  if (schema === undefined) throw new Error(`unknown type ${m.$typeName}`);
  return toJson(schema, m, { registry: jsonRegistry }) as JsonObject;
};

const router = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

function hcmListener(name: string, port: number, hcm: JsonObject): JsonObject {
  return {
    name,
    address: { socket_address: { address: "127.0.0.1", port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", stat_prefix: name, http_filters: [router], ...hcm },
          },
        ],
      },
    ],
  };
}

const xdsCluster = {
  name: "xds_cluster",
  type: "STATIC",
  connect_timeout: "1s",
  typed_extension_protocol_options: {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
      "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      explicit_http_config: { http2_protocol_options: {} },
    },
  },
  load_assignment: { cluster_name: "xds_cluster", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 18000 } } } }] }] },
};

/**
 * A bootstrap holding the resources: clusters, listeners and secrets as static resources; an
 * assignment as the load assignment of a static cluster; route configurations, virtual hosts,
 * scoped routes and extension configs inside HTTP listeners of their own (ports from
 * `portBase`); runtime layers as static layers. EDS clusters get their endpoints over ADS.
 */
export function bootstrapFor(resources: readonly TypedResource[], portBase = 40000): JsonObject {
  const clusters: JsonValue[] = [xdsCluster];
  const listeners: JsonValue[] = [];
  const secrets: JsonValue[] = [];
  const layers: JsonValue[] = [];
  let port = portBase;
  for (const r of resources) {
    const m = json(r.message);
    switch (r.typeUrl) {
      case CLUSTER_TYPE_URL:
        clusters.push(m);
        break;
      case ENDPOINT_TYPE_URL:
        clusters.push({ name: `static-${String(m["clusterName"])}`, type: "STATIC", connect_timeout: "1s", load_assignment: m });
        break;
      case LISTENER_TYPE_URL:
        listeners.push(m);
        break;
      case SECRET_TYPE_URL:
        secrets.push(m);
        break;
      case ROUTE_TYPE_URL:
        listeners.push(hcmListener(`rds-${port}`, port++, { route_config: m }));
        break;
      case VIRTUAL_HOST_TYPE_URL:
        listeners.push(hcmListener(`vhds-${port}`, port++, { route_config: { name: `vhds-${port}`, virtual_hosts: [m] } }));
        break;
      case SCOPED_ROUTE_TYPE_URL:
        listeners.push(
          hcmListener(`srds-${port}`, port++, {
            scoped_routes: {
              name: `scopes-${port}`,
              scope_key_builder: { fragments: [{ header_value_extractor: { name: "x-tenant", index: 0 } }] },
              scoped_route_configurations_list: { scoped_route_configurations: [m] },
            },
          }),
        );
        break;
      case EXTENSION_CONFIG_TYPE_URL:
        listeners.push(hcmListener(`ecds-${port}`, port++, { route_config: { name: `ecds-${port}` }, http_filters: [m, router] }));
        break;
      case RUNTIME_TYPE_URL:
        layers.push({ name: m["name"] ?? "", static_layer: m["layer"] ?? {} });
        break;
      default:
        throw new Error(`no place in a bootstrap for ${r.typeUrl}`);
    }
  }
  return {
    node: { id: "validate-test", cluster: "xdskit" },
    dynamic_resources: { ads_config: { api_type: "GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }] } },
    static_resources: { clusters, listeners, secrets },
    ...(layers.length === 0 ? {} : { layered_runtime: { layers } }),
  };
}

/** `envoy --mode validate` on a bootstrap; `ok` is exit 0, `output` what Envoy said. */
export async function envoyValidate(bootstrap: JsonObject): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-validate-envoy-"));
  const file = join(dir, "bootstrap.json");
  writeFileSync(file, JSON.stringify(bootstrap));
  try {
    const r = await runProcess(ensureEnvoy(), ["--mode", "validate", "-c", file, "-l", "error", "--disable-hot-restart"], { timeoutMs: 120_000 });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
