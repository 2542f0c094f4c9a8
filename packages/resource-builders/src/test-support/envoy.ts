// Test-only helpers: turn built messages into an Envoy bootstrap and ask a real Envoy about it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { file_envoy_extensions_filters_http_buffer_v3_buffer } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import { file_envoy_extensions_filters_http_router_v3_router } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { file_envoy_extensions_transport_sockets_tls_v3_tls } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { ensureEnvoy } from "@xdskit/envoy-tool";

// Just the files whose messages end up packed in an Any, so toJson can write "@type".
const registry = createRegistry(
  file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
  file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy,
  file_envoy_extensions_filters_http_router_v3_router,
  file_envoy_extensions_filters_http_buffer_v3_buffer,
  file_envoy_extensions_transport_sockets_tls_v3_tls,
  file_envoy_extensions_upstreams_http_v3_http_protocol_options,
);

/** Protobuf JSON of a built message, as Envoy reads it in a bootstrap. */
export function json<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  return toJson(schema, message, { registry });
}

/** The static cluster that reaches a (here imaginary) control plane, and an ADS config using it. */
export const xdsCluster = {
  name: "xds_cluster",
  type: "STATIC",
  connect_timeout: "1s",
  typed_extension_protocol_options: {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
      "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      explicit_http_config: { http2_protocol_options: {} },
    },
  },
  load_assignment: {
    cluster_name: "xds_cluster",
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 18000 } } } }] }],
  },
};

export const adsConfig = {
  api_type: "GRPC",
  transport_api_version: "V3",
  grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }],
};

/** Runs `envoy --mode validate` on a bootstrap; `ok` is exit 0. */
export function validateBootstrap(bootstrap: Record<string, unknown>): { ok: boolean; output: string } {
  return validateBootstrapText(JSON.stringify(bootstrap, null, 2), "json");
}

/** Runs `envoy --mode validate` on a bootstrap file's text (JSON or YAML); `ok` is exit 0. */
export function validateBootstrapText(text: string, extension: "json" | "yaml"): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-builders-validate-"));
  const file = join(dir, `bootstrap.${extension}`);
  writeFileSync(file, text);
  const r = spawnSync(ensureEnvoy(), ["--mode", "validate", "-c", file, "-l", "warn", "--disable-hot-restart"], { encoding: "utf8", timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** A fresh self-signed certificate for `localhost` (PEM), from openssl. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-builders-cert-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}
