import { toBinary } from "@bufbuild/protobuf";
import { marshalDeterministic } from "@xdskit/cache-core";
import type { Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { describe, expect, it } from "vitest";
import { formatProblem, lazyEnvoyRegistry, readResources } from "./index.js";

const registry = lazyEnvoyRegistry();

describe("readResources", () => {
  it("accepts what Envoy's loader accepts: lower-case enums, one value for a list, bare wrappers, unnamed listeners", () => {
    const text = `
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: web
  type: strict_dns
  lb_policy: round_robin
  connect_timeout: 0.25s
  per_connection_buffer_limit_bytes: 32768
  circuit_breakers:
    thresholds: {priority: high, max_requests: {value: 5}}
  load_assignment:
    cluster_name: web
    endpoints:
      lb_endpoints:
        endpoint: {address: {socket_address: {address: web.local, port_value: 0x1F90}}}
- "@type": envoy.config.listener.v3.Listener
  address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
`;
    const { resources, problems, notices } = readResources(text, { registry, file: "r.yaml" });
    expect(problems).toEqual([]);
    expect(resources.map((r) => r.name)).toEqual(["web", "0.0.0.0_10000"]);
    const c = resources[0]?.message as Cluster;
    expect(c.clusterDiscoveryType).toEqual({ case: "type", value: 1 });
    expect(c.lbPolicy).toBe(0);
    expect(c.connectTimeout?.nanos).toBe(250_000_000);
    expect(c.circuitBreakers?.thresholds[0]?.priority).toBe(1);
    expect(c.circuitBreakers?.thresholds[0]?.maxRequests).toBe(5);
    const ep = c.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier;
    expect(ep?.case === "endpoint" && ep.value.address?.address.case === "socketAddress" && ep.value.address.address.value.portSpecifier.value).toBe(8080);
    expect((resources[1]?.message as Listener | undefined)?.name).toBe("0.0.0.0_10000");
    expect(notices.map(formatProblem)).toEqual(['r.yaml:15 at [1]: a listener without a name: named "0.0.0.0_10000" after its address']);
  });

  it("reports every problem of every resource at once, each with file, field path and line", () => {
    const text = `resources:
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: a
  type: strict_dnz
  connect_timeout: soon
  lb_polcy: ROUND_ROBIN
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: b
  load_assignment:
    cluster_name: b
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {port_value: many}}}
- "@type": type.googleapis.com/envoy.config.nope.v3.Thing
`;
    const { resources, problems } = readResources(text, { registry, file: "c.yaml" });
    expect(resources).toEqual([]);
    const lines = problems.map(formatProblem);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^c\.yaml:4 at resources\[0\]\.type: .*strict_dnz/);
    expect(lines[1]).toMatch(/^c\.yaml:5 at resources\[0\]\.connect_timeout: /);
    expect(lines[2]).toMatch(/^c\.yaml:6 at resources\[0\]\.lb_polcy: .*lb_policy/);
    expect(lines[3]).toMatch(/^c\.yaml:13 at resources\[1\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: /);
    expect(lines[4]).toMatch(/^c\.yaml:14 at resources\[2\]\["@type"\]: unknown resource type/);
  });

  it("names problems in JSON files and reports syntax errors with their line", () => {
    const json = JSON.stringify([{ "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", name: "x", lb_policy: "least_request" }]);
    expect(readResources(json, { registry, file: "c.json" }).problems).toEqual([]);
    const bad = readResources("- a: [1,\n- b", { registry, file: "bad.yaml" });
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]?.message).toMatch(/^not valid YAML/);
    expect(bad.problems[0]?.line).toBeGreaterThan(0);
  });

  it("gives two unnamed listeners on one address distinct, stable names", () => {
    const l = `- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  address: {socket_address: {address: "::", port_value: 443}}
`;
    const first = readResources(l + l, { registry }).resources.map((r) => r.name);
    expect(first).toEqual(["[::]_443", "[::]_443_2"]);
    expect(readResources(l + l, { registry }).resources.map((r) => r.name)).toEqual(first);
  });

  it("writes Struct fields and map entries in key order: toBinary gives the deterministic bytes", () => {
    const text = `"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
name: m
metadata:
  filter_metadata:
    zeta: {b: 1, a: [{y: 2, x: 1}]}
    alpha: {k: v}
typed_extension_protocol_options:
  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
    explicit_http_config: {http2_protocol_options: {}}
`;
    const r = readResources(text, { registry }).resources[0];
    if (r === undefined) throw new Error("no resource");
    expect(toBinary(r.schema, r.message)).toEqual(marshalDeterministic(r.schema, r.message));
  });
});
