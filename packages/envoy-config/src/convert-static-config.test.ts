import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { equals } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnvoyYamlFully } from "./envoy-yaml.js";
import { convertStaticConfig, formatProblem, lazyEnvoyRegistry, readResources, toYaml } from "./index.js";

const registry = lazyEnvoyRegistry();

const envoyYaml = `
node: {id: edge, cluster: edge}
static_resources:
  listeners:
    address: {socket_address: {address: 0.0.0.0, port_value: 10443}}
    filter_chains:
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificate_sds_secret_configs: {name: edge-cert}
      filters:
        name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: backend
  clusters:
  - name: backend
    type: strict_dns
    connect_timeout: 1s
    metadata: {filter_metadata: {team: {owner: "yes", on: yes, port: 0x50}}}
    load_assignment:
      cluster_name: backend
      endpoints: {lb_endpoints: {endpoint: {address: {socket_address: {address: backend.local, port_value: 80}}}}}
  secrets:
  - name: edge-cert
    tls_certificate:
      certificate_chain: {filename: /etc/certs/edge.pem}
      private_key: {filename: /etc/certs/edge.key}
`;

describe("convertStaticConfig", () => {
  it("writes the static resources as files that read back to the same messages, SDS references pointed at self", () => {
    const r = convertStaticConfig(envoyYaml, { registry, file: "envoy.yaml", xds: { host: "127.0.0.1", port: 18000 } });
    expect(r.problems).toEqual([]);
    expect([...r.files.keys()]).toEqual(["listeners.yaml", "clusters.yaml", "secrets.yaml", "bootstrap.yaml"]);
    expect(r.notices.map(formatProblem)).toEqual([
      'envoy.yaml at static_resources.listeners[0]: a listener without a name: named "0.0.0.0_10443" after its address',
      'envoy.yaml at static_resources.listeners[0]: refers to the static secret "edge-cert": now fetched over SDS from secretConfigSource',
    ]);
    const back = [...r.files].filter(([n]) => n !== "bootstrap.yaml").flatMap(([file, text]) => readResources(text, { registry, file }).resources);
    expect(back.map((x) => x.name)).toEqual(["0.0.0.0_10443", "backend", "edge-cert"]);
    expect(r.files.get("listeners.yaml")).toContain("self: {}");
    // Metadata read with Envoy's rules ("yes" quoted stays a string, plain yes a boolean, 0x50 a number) survives the trip.
    const cluster = back[1];
    const again = readResources(r.files.get("clusters.yaml") ?? "", { registry }).resources[0];
    expect(cluster && again && equals(cluster.schema, cluster.message, again.message)).toBe(true);
    expect(r.files.get("clusters.yaml")).toMatch(/"on": true\n\s+owner: "yes"\n\s+port: 80/);
    const bootstrap = parseEnvoyYamlFully(r.files.get("bootstrap.yaml") ?? "").documents[0] as Record<string, unknown>;
    expect(Object.keys(bootstrap)).toEqual(["node", "dynamic_resources", "static_resources"]);
  });

  it("reports every problem of the input with field path and line", () => {
    const r = convertStaticConfig(envoyYaml.replace("type: strict_dns", "type: strict_dnz").replace("connect_timeout: 1s", "connect_timeout: 1 s"), { registry });
    expect(r.files.size).toBe(0);
    expect(r.problems.map((p) => `${p.line} ${p.path}`)).toEqual(["21 static_resources.clusters[0].type", "22 static_resources.clusters[0].connect_timeout"]);
  });

  it("has a CLI that writes the directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "convert-"));
    try {
      writeFileSync(join(dir, "envoy.yaml"), envoyYaml);
      const cli = join(import.meta.dirname, "..", "dist", "cli.js");
      const out = execFileSync(process.execPath, [cli, join(dir, "envoy.yaml"), "-o", join(dir, "out"), "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(out).toContain("clusters.json");
      expect(JSON.parse(readFileSync(join(dir, "out", "clusters.json"), "utf8"))[0].name).toBe("backend");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("toYaml", () => {
  const key = fc.oneof(fc.constantFrom("@type", "name", "yes", "0x1", "a b", "x: y", "#c", "-", ""), fc.string());
  const leaf = fc.oneof(fc.string(), fc.constantFrom("yes", "No", "~", "null", "0x10", "010", "1.5", " a", "a ", "- x", "[x]", "&a", "*a", "!t", "%"), fc.boolean(), fc.constant(null), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v")), fc.dictionary(key, tie("v"))),
  })).v;

  it("writes YAML that Envoy's rules read back as the same value", () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = toYaml(v);
        const back = parseEnvoyYamlFully(text);
        expect(back.error).toBeUndefined();
        expect(back.documents).toEqual([v]);
      }),
      { numRuns: 300 },
    );
  });
});
