import { equals } from "@bufbuild/protobuf";
import { bootstrap, type BootstrapMode, bootstrapToJson, bootstrapToYaml, BuilderError } from "@xdskit/resource-builders";
import { BootstrapSchema } from "@xdskit/envoy-api/envoy/config/bootstrap/v3/bootstrap_pb";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { selfSignedCertificate } from "./test-support/envoy.js";

const xds = { host: "127.0.0.1", port: 18000 };
const TLS_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
const HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/** `value` at a path of object keys and array indexes. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) current = (current as Record<string | number, unknown> | undefined)?.[key];
  return current;
}

function thrown(fn: () => unknown): BuilderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BuilderError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("bootstrap", () => {
  it("defaults to ADS over an HTTP/2 xds_cluster, V3 everywhere, admin on 127.0.0.1:9901", () => {
    const json = bootstrapToJson(bootstrap({ nodeId: "envoy-1", cluster: "edge", xds }));
    expect(json.node).toEqual({ id: "envoy-1", cluster: "edge" });
    expect(json.dynamic_resources).toEqual({
      lds_config: { ads: {}, resource_api_version: "V3" },
      cds_config: { ads: {}, resource_api_version: "V3" },
      ads_config: {
        api_type: "GRPC",
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }],
        set_node_on_first_message_only: true,
      },
    });
    expect(at(json, "static_resources", "clusters")).toEqual([
      {
        name: "xds_cluster",
        type: "STATIC",
        connect_timeout: "1s",
        load_assignment: {
          cluster_name: "xds_cluster",
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 18000 } } } }] }],
        },
        typed_extension_protocol_options: {
          [HTTP_OPTIONS]: { "@type": `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } },
        },
      },
    ]);
    expect(json.admin).toEqual({ address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } });
    expect(json.layered_runtime).toBeUndefined();
  });

  it("gives every mode its config sources: ADS for the aggregated ones, an API source per type otherwise", () => {
    const sources = (mode: BootstrapMode) => bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, mode })).dynamic_resources;
    expect(at(sources("delta-ads"), "ads_config", "api_type")).toBe("DELTA_GRPC");
    expect(at(sources("delta-ads"), "cds_config")).toEqual({ ads: {}, resource_api_version: "V3" });
    for (const [mode, apiType] of [
      ["xds", "GRPC"],
      ["delta", "DELTA_GRPC"],
    ] as const) {
      const dynamic = sources(mode);
      expect(at(dynamic, "ads_config")).toBeUndefined();
      for (const key of ["lds_config", "cds_config"]) {
        expect(at(dynamic, key)).toEqual({
          api_config_source: {
            api_type: apiType,
            transport_api_version: "V3",
            grpc_services: [{ envoy_grpc: { cluster_name: "xds_cluster" } }],
            set_node_on_first_message_only: true,
          },
          resource_api_version: "V3",
        });
      }
    }
    const rest = bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, mode: "rest", refreshDelayMs: 2500 }));
    expect(at(rest, "dynamic_resources", "cds_config")).toEqual({
      api_config_source: { api_type: "REST", transport_api_version: "V3", cluster_names: ["xds_cluster"], refresh_delay: "2.500s" },
      resource_api_version: "V3",
    });
    // REST is HTTP/1.1: no HTTP/2 options on the control-plane cluster.
    expect(at(rest, "static_resources", "clusters", 0, "typed_extension_protocol_options")).toBeUndefined();
  });

  it("leaves initial_fetch_timeout to Envoy unless given; sets it on every source when given", () => {
    const json = bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, initialFetchTimeoutMs: 0, runtimeLayer: "rt" }));
    expect(at(json, "dynamic_resources", "lds_config", "initial_fetch_timeout")).toBe("0s");
    expect(at(json, "dynamic_resources", "cds_config", "initial_fetch_timeout")).toBe("0s");
    expect(at(json, "layered_runtime", "layers", 0, "rtds_layer", "rtds_config", "initial_fetch_timeout")).toBe("0s");
    expect(JSON.stringify(bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds })))).not.toContain("initial_fetch_timeout");
  });

  it("fetches a runtime layer over RTDS below Envoy's admin layer", () => {
    const json = bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, mode: "delta", runtimeLayer: "flags" }));
    expect(at(json, "layered_runtime", "layers")).toEqual([
      { name: "rtds", rtds_layer: { name: "flags", rtds_config: at(json, "dynamic_resources", "cds_config") } },
      { name: "admin", admin_layer: {} },
    ]);
  });

  it("resolves a control plane named by DNS (IPv4 preferred) and names the cluster and metadata as asked", () => {
    const json = bootstrapToJson(
      bootstrap({
        nodeId: "n",
        cluster: "edge",
        metadata: { team: "edge", canary: true },
        xds: { host: "control-plane.internal", port: 443, clusterName: "cp", connectTimeoutMs: 250 },
      }),
    );
    const cluster = at(json, "static_resources", "clusters", 0);
    expect(cluster).toMatchObject({ name: "cp", type: "STRICT_DNS", dns_lookup_family: "V4_PREFERRED", connect_timeout: "0.250s" });
    expect(at(cluster, "load_assignment", "endpoints", 0, "lb_endpoints", 0, "endpoint", "address", "socket_address")).toEqual({
      address: "control-plane.internal",
      port_value: 443,
    });
    expect(at(json, "dynamic_resources", "ads_config", "grpc_services", 0, "envoy_grpc", "cluster_name")).toBe("cp");
    expect(at(json, "node", "metadata")).toEqual({ team: "edge", canary: true });
  });

  it("TLS: verifies the server with the CA and, by default, the name it connects to; ALPN h2 for gRPC", () => {
    const { cert } = selfSignedCertificate();
    const socket = (host: string, tls: Parameters<typeof bootstrap>[0]["xds"]["tls"], mode: BootstrapMode = "ads") =>
      at(bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", mode, xds: { host, port: 443, tls } })), "static_resources", "clusters", 0, "transport_socket");
    expect(socket("cp.example.com", { trustedCa: cert })).toEqual({
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": TLS_TYPE,
        common_tls_context: {
          alpn_protocols: ["h2"],
          validation_context: {
            trusted_ca: { inline_string: cert },
            match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "cp.example.com" } }],
          },
        },
        sni: "cp.example.com",
      },
    });
    // An IP address sends no SNI and checks no name unless told.
    const byIp = socket("10.0.0.1", { trustedCa: { file: "/etc/xds/ca.pem" } }, "rest");
    expect(at(byIp, "typed_config")).toEqual({
      "@type": TLS_TYPE,
      common_tls_context: { validation_context: { trusted_ca: { filename: "/etc/xds/ca.pem" } } },
    });
    const named = socket("10.0.0.1", { trustedCa: cert, sni: "xds.internal", serverNames: ["a.internal", "b.internal"] });
    expect(at(named, "typed_config", "sni")).toBe("xds.internal");
    expect(at(named, "typed_config", "common_tls_context", "validation_context", "match_typed_subject_alt_names")).toEqual([
      { san_type: "DNS", matcher: { exact: "a.internal" } },
      { san_type: "DNS", matcher: { exact: "b.internal" } },
    ]);
    const unchecked = socket("cp.example.com", { trustedCa: cert, serverNames: [] });
    expect(at(unchecked, "typed_config", "common_tls_context", "validation_context", "match_typed_subject_alt_names")).toBeUndefined();
  });

  it("mutual TLS: Envoy's certificate and key, inline or from files", () => {
    const { cert, key } = selfSignedCertificate();
    const common = (certificate: { certificateChain: string | { file: string }; privateKey: string | { file: string } }) =>
      at(
        bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: { trustedCa: cert, certificate } } })),
        "static_resources",
        "clusters",
        0,
        "transport_socket",
        "typed_config",
        "common_tls_context",
        "tls_certificates",
      );
    expect(common({ certificateChain: cert, privateKey: key })).toEqual([{ certificate_chain: { inline_string: cert }, private_key: { inline_string: key } }]);
    expect(common({ certificateChain: { file: "/c.pem" }, privateKey: { file: "/k.pem" } })).toEqual([
      { certificate_chain: { filename: "/c.pem" }, private_key: { filename: "/k.pem" } },
    ]);
  });

  it("admin: another address or port, port 0, or none", () => {
    expect(bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, admin: { address: "::1", port: 19000 } })).admin).toEqual({
      address: { socket_address: { address: "::1", port_value: 19000 } },
    });
    expect(at(bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, admin: { port: 0 } })), "admin", "address", "socket_address")).toEqual({
      address: "127.0.0.1",
      port_value: 0,
    });
    expect(bootstrapToJson(bootstrap({ nodeId: "n", cluster: "edge", xds, admin: false })).admin).toBeUndefined();
  });

  it("renders YAML that reads back as the same protobuf JSON, @type first", () => {
    const { cert } = selfSignedCertificate();
    const message = bootstrap({ nodeId: "envoy-1", cluster: "edge", xds: { host: "cp.example.com", port: 443, tls: { trustedCa: cert } }, runtimeLayer: "rt" });
    const yaml = bootstrapToYaml(message);
    expect(parse(yaml)).toEqual(bootstrapToJson(message));
    expect(yaml).toMatch(/typed_config:\n\s+"@type": type\.googleapis\.com\/envoy\.extensions\.transport_sockets\.tls\.v3\.UpstreamTlsContext\n/);
    expect(yaml.startsWith("node:\n  id: envoy-1\n")).toBe(true);
    // The message itself is an ordinary Bootstrap, to change before rendering.
    expect(equals(BootstrapSchema, message, bootstrap({ nodeId: "envoy-1", cluster: "edge", xds: { host: "cp.example.com", port: 443, tls: { trustedCa: cert } }, runtimeLayer: "rt" }))).toBe(
      true,
    );
  });

  it("refuses bad input with a BuilderError naming the bootstrap and the field", () => {
    expect(thrown(() => bootstrap({ nodeId: " ", cluster: "edge", xds })).message).toBe('Bootstrap nodeId: must be a non-empty string, got " "');
    // Envoy refuses to start CDS without node.cluster: say so here instead.
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "", xds })).message).toBe('Bootstrap "n" cluster: must be a non-empty string, got ""');
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds, mode: "grpc" as BootstrapMode }))).toMatchObject({
      code: "invalid-value",
      field: "mode",
      message: 'Bootstrap "n" mode: must be one of ads, delta-ads, xds, delta, rest, got "grpc"',
    });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds: { host: "not a host", port: 1 } }))).toMatchObject({ code: "invalid-address", field: "xds.host" });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds: { host: "127.0.0.1", port: 70000 } }))).toMatchObject({ code: "invalid-port", field: "xds.port" });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: {} as { trustedCa: string } } }))).toMatchObject({
      code: "missing-field",
      field: "xds.tls.trustedCa",
    });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: { trustedCa: "not pem" } } }))).toMatchObject({
      code: "invalid-value",
      field: "xds.tls.trustedCa",
    });
    const { cert } = selfSignedCertificate();
    expect(
      thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: { trustedCa: cert, certificate: { certificateChain: cert, privateKey: cert } } } })),
    ).toMatchObject({ code: "invalid-value", field: "xds.tls.certificate.privateKey" });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds, admin: { address: "localhost" } }))).toMatchObject({ code: "invalid-address", field: "admin.address" });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds, initialFetchTimeoutMs: -1 }))).toMatchObject({ field: "initialFetchTimeoutMs" });
    expect(thrown(() => bootstrap({ nodeId: "n", cluster: "edge", xds, runtimeLayer: "" }))).toMatchObject({ code: "invalid-name", field: "runtimeLayer" });
  });

  it("options given as undefined build what leaving them out builds", () => {
    const full = bootstrap({
      nodeId: "n",
      cluster: "edge",
      metadata: undefined,
      mode: undefined,
      initialFetchTimeoutMs: undefined,
      refreshDelayMs: undefined,
      runtimeLayer: undefined,
      admin: undefined,
      xds: { host: "127.0.0.1", port: 18000, tls: undefined, clusterName: undefined, connectTimeoutMs: undefined },
    });
    expect(equals(BootstrapSchema, full, bootstrap({ nodeId: "n", cluster: "edge", xds }))).toBe(true);
    const { cert } = selfSignedCertificate();
    const tls = bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: { trustedCa: cert, certificate: undefined, sni: undefined, serverNames: undefined } } });
    expect(equals(BootstrapSchema, tls, bootstrap({ nodeId: "n", cluster: "edge", xds: { ...xds, tls: { trustedCa: cert } } }))).toBe(true);
    expect(equals(BootstrapSchema, bootstrap({ nodeId: "n", cluster: "edge", xds, admin: { address: undefined, port: undefined } }), bootstrap({ nodeId: "n", cluster: "edge", xds }))).toBe(true);
  });
});
