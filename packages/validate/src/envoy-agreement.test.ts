// @xdskit/validate against a real Envoy 1.40: generated valid resources pass both, and resources
// Envoy rejects are refused by the validator first.
import { clone, create, fromBinary, toBinary, toJson, type DescMessage, type Message } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { VirtualHost } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import type { ScopedRouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import type { TypedExtensionConfig } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { FileAccessLogSchema } from "@xdskit/envoy-api/envoy/extensions/access_loggers/file/v3/file_pb";
import { BufferSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import { LocalRateLimitSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb";
import { HttpConnectionManagerSchema, type HttpConnectionManager } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema, type TcpProxy } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import type { Secret } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { UpstreamTlsContextSchema, type UpstreamTlsContext } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { HttpProtocolOptionsSchema, type HttpProtocolOptions } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { startEnvoy } from "@xdskit/envoy-tool";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createValidator, type ResourcesByType } from "./index.js";
import { bootstrapFor, envoyValidate } from "./test-support/envoy.js";
import { validResources, type TypedResource } from "./test-support/resources.js";

const validator = createValidator();

function byType(resources: readonly TypedResource[]): ResourcesByType {
  const out: Record<string, Message[]> = {};
  for (const r of resources) {
    out[r.typeUrl] ??= [];
    out[r.typeUrl]?.push(r.message);
  }
  return out;
}

// The resources of one validResources() set, by role.
interface Set {
  readonly all: TypedResource[];
  readonly cluster: Cluster;
  readonly eds: Cluster;
  readonly cla: ClusterLoadAssignment;
  readonly http: Listener;
  readonly tcp: Listener;
  readonly ca: Secret;
  readonly extension: TypedExtensionConfig;
  readonly scoped: ScopedRouteConfiguration;
  readonly vhds: VirtualHost;
  readonly routes: RouteConfiguration;
}

function set(i: number): Set {
  const all = validResources(i, 21000 + 2 * i);
  const m = (k: number) => (all[k] as TypedResource).message;
  return {
    all,
    cluster: m(0) as Cluster,
    eds: m(1) as Cluster,
    cla: m(2) as ClusterLoadAssignment,
    http: m(3) as Listener,
    tcp: m(4) as Listener,
    ca: m(5) as Secret,
    extension: m(9) as TypedExtensionConfig,
    scoped: m(10) as ScopedRouteConfiguration,
    vhds: m(11) as VirtualHost,
    routes: m(12) as RouteConfiguration,
  };
}

/** Changes the message inside an Any in place. */
function inAny<T extends Message>(any: Any | undefined, schema: DescMessage, edit: (m: T) => void): void {
  if (any === undefined) throw new Error("no Any");
  const m = fromBinary(schema, any.value) as T;
  edit(m);
  any.value = toBinary(schema, m);
}
const hcmOf = (l: Listener) => l.filterChains[0]?.filters[0]?.configType.value as Any;
const tcpOf = (l: Listener) => l.filterChains[0]?.filters[0]?.configType.value as Any;
const tlsOf = (c: Cluster) => c.transportSocket?.configType.value as Any;
const protocolOf = (c: Cluster) => c.typedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
const editHcm = (s: Set, edit: (h: HttpConnectionManager) => void) => inAny(hcmOf(s.http), HttpConnectionManagerSchema, edit);
const firstRoute = (rc: RouteConfiguration) => rc.virtualHosts[0]?.routes[1];
const socketOf = (c: Cluster) => {
  const a = c.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier;
  if (a?.case !== "endpoint" || a.value.address?.address.case !== "socketAddress") throw new Error("no socket address");
  return a.value.address.address.value;
};

// Each case breaks one thing of a valid set the way a control plane bug would.
const invalid: [string, (s: Set) => void][] = [
  ["cluster without a name", (s) => {
    s.cluster.name = "";
  }],
  ["connect_timeout of 0", (s) => {
    s.cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: 0n, nanos: 0 };
  }],
  ["negative connect_timeout", (s) => {
    s.cluster.connectTimeout = { $typeName: "google.protobuf.Duration", seconds: -1n, nanos: 0 };
  }],
  ["undefined lb_policy", (s) => {
    s.cluster.lbPolicy = 99 as Cluster_LbPolicy;
  }],
  ["undefined dns_lookup_family", (s) => {
    s.cluster.dnsLookupFamily = 42 as never;
  }],
  ["undefined circuit breaker priority", (s) => {
    (s.cluster.circuitBreakers?.thresholds[0] ?? { priority: 0 }).priority = 7 as never;
  }],
  ["health check without timeout", (s) => {
    (s.cluster.healthChecks[0] as { timeout: unknown }).timeout = undefined;
  }],
  ["health check interval 0", (s) => {
    (s.cluster.healthChecks[0] as { interval: unknown }).interval = { seconds: 0n, nanos: 0, $typeName: "google.protobuf.Duration" };
  }],
  ["health check without unhealthy_threshold", (s) => {
    (s.cluster.healthChecks[0] as { unhealthyThreshold: unknown }).unhealthyThreshold = undefined;
  }],
  ["health check without a checker", (s) => {
    (s.cluster.healthChecks[0] as { healthChecker: unknown }).healthChecker = { case: undefined };
  }],
  ["outlier max_ejection_percent above 100", (s) => {
    (s.cluster.outlierDetection as { maxEjectionPercent: number }).maxEjectionPercent = 101;
  }],
  ["healthy panic threshold above 100", (s) => {
    (s.eds.commonLbConfig?.healthyPanicThreshold as { value: number }).value = 101;
  }],
  ["transport socket without a name", (s) => {
    (s.cluster.transportSocket as { name: string }).name = "";
  }],
  ["SNI longer than 255 bytes", (s) => inAny<UpstreamTlsContext>(tlsOf(s.cluster), UpstreamTlsContextSchema, (t) => {
    t.sni = "a".repeat(256);
  })],
  ["undefined TLS protocol version", (s) => inAny<UpstreamTlsContext>(tlsOf(s.cluster), UpstreamTlsContextSchema, (t) => {
    (t.commonTlsContext?.tlsParams as { tlsMaximumProtocolVersion: number }).tlsMaximumProtocolVersion = 9;
  })],
  ["endpoint port above 65535", (s) => {
    socketOf(s.cluster).portSpecifier = { case: "portValue", value: 70000 };
  }],
  ["endpoint without an address", (s) => {
    socketOf(s.cluster).address = "";
  }],
  ["HTTP/2 max_concurrent_streams 0", (s) => inAny<HttpProtocolOptions>(protocolOf(s.cluster), HttpProtocolOptionsSchema, (p) => {
    const explicit = p.upstreamProtocolOptions.value as { protocolConfig: { value: { maxConcurrentStreams: number } } };
    explicit.protocolConfig.value.maxConcurrentStreams = 0;
  })],
  ["protocol options of an unknown type", (s) => {
    (protocolOf(s.cluster) as Any).typeUrl = "type.googleapis.com/example.v1.Unknown";
  }],
  ["EDS config source without a source", (s) => {
    (s.eds.edsClusterConfig?.edsConfig as { configSourceSpecifier: unknown }).configSourceSpecifier = { case: undefined };
  }],
  ["overprovisioning factor 0", (s) => {
    (s.cla.policy as { overprovisioningFactor: number }).overprovisioningFactor = 0;
  }],
  ["endpoint weight 0", (s) => {
    (s.cla.endpoints[0]?.lbEndpoints[0] as { loadBalancingWeight: number }).loadBalancingWeight = 0;
  }],
  ["locality weight 0", (s) => {
    (s.cla.endpoints[0] as { loadBalancingWeight: number }).loadBalancingWeight = 0;
  }],
  ["STATIC cluster with a host name", (s) => {
    s.cluster.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.STATIC };
    socketOf(s.cluster).address = "backend.example.com";
  }],
  ["LOGICAL_DNS cluster with four endpoints", (s) => {
    s.cluster.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.LOGICAL_DNS };
  }],
  ["ORIGINAL_DST cluster with a load assignment", (s) => {
    s.cluster.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.ORIGINAL_DST };
    s.cluster.lbPolicy = Cluster_LbPolicy.CLUSTER_PROVIDED;
  }],
  ["ORIGINAL_DST cluster with ROUND_ROBIN", (s) => {
    s.eds.clusterDiscoveryType = { case: "type", value: Cluster_DiscoveryType.ORIGINAL_DST };
    s.eds.edsClusterConfig = undefined;
  }],
  ["CLUSTER_PROVIDED on an EDS cluster", (s) => {
    s.eds.lbPolicy = Cluster_LbPolicy.CLUSTER_PROVIDED;
  }],
  ["two clusters with one name", (s) => {
    s.eds.name = s.cluster.name;
  }],
  ["listener port above 65535", (s) => {
    const a = s.http.address?.address;
    if (a?.case === "socketAddress") a.value.portSpecifier = { case: "portValue", value: 65536 };
  }],
  ["two listeners on one port", (s) => {
    const a = s.tcp.address?.address;
    const b = s.http.address?.address;
    if (a?.case === "socketAddress" && b?.case === "socketAddress") a.value.portSpecifier = b.value.portSpecifier;
  }],
  ["a listener without filter chains", (s) => {
    s.tcp.filterChains = [];
  }],
  ["two filter chains with the same match", (s) => {
    (s.tcp.filterChains[0] as { filterChainMatch: unknown }).filterChainMatch = undefined;
  }],
  ["filter chains sharing a server name", (s) => {
    const second = s.tcp.filterChains[1];
    if (second !== undefined) second.filterChainMatch = s.tcp.filterChains[0]?.filterChainMatch;
  }],
  ["a network filter without a name", (s) => {
    (s.http.filterChains[0]?.filters[0] as { name: string }).name = "";
  }],
  ["HCM without a stat_prefix", (s) => editHcm(s, (h) => {
    h.statPrefix = "";
  })],
  ["undefined HCM codec_type", (s) => editHcm(s, (h) => {
    h.codecType = 9 as never;
  })],
  ["HCM without routes", (s) => editHcm(s, (h) => {
    h.routeSpecifier = { case: undefined };
  })],
  ["an HTTP filter without a name", (s) => editHcm(s, (h) => {
    (h.httpFilters[1] as { name: string }).name = "";
  })],
  ["an HTTP filter of an unknown type", (s) => editHcm(s, (h) => {
    (h.httpFilters[1]?.configType.value as Any).typeUrl = "type.googleapis.com/example.v1.Filter";
  })],
  ["local rate limit without a fill interval", (s) => editHcm(s, (h) => inAny(h.httpFilters[1]?.configType.value as Any, LocalRateLimitSchema, (r) => {
    (r as unknown as { tokenBucket: { fillInterval: unknown } }).tokenBucket.fillInterval = undefined;
  }))],
  ["buffer filter without max_request_bytes", (s) => editHcm(s, (h) => inAny(h.httpFilters[2]?.configType.value as Any, BufferSchema, (b) => {
    (b as unknown as { maxRequestBytes: unknown }).maxRequestBytes = undefined;
  }))],
  ["file access log without a path", (s) => editHcm(s, (h) => inAny(h.accessLog[0]?.configType.value as Any, FileAccessLogSchema, (f) => {
    (f as unknown as { path: string }).path = "";
  }))],
  ["TCP proxy without a stat_prefix", (s) => inAny<TcpProxy>(tcpOf(s.tcp), TcpProxySchema, (t) => {
    t.statPrefix = "";
  })],
  ["TCP proxy without a cluster", (s) => inAny<TcpProxy>(tcpOf(s.tcp), TcpProxySchema, (t) => {
    t.clusterSpecifier = { case: undefined };
  })],
  ["TCP proxy weighted cluster of weight 0", (s) => inAny<TcpProxy>(tcpOf(s.tcp), TcpProxySchema, (t) => {
    const weighted = t.clusterSpecifier.value as { clusters: { weight: number }[] };
    (weighted.clusters[0] as { weight: number }).weight = 0;
  })],
  ["TCP proxy with an empty weighted cluster list", (s) => inAny<TcpProxy>(tcpOf(s.tcp), TcpProxySchema, (t) => {
    (t.clusterSpecifier.value as { clusters: unknown[] }).clusters = [];
  })],
  ["a domain served twice", (s) => {
    s.routes.virtualHosts[1]?.domains.push(s.routes.virtualHosts[0]?.domains[0]?.toUpperCase() ?? "");
  }],
  ["two wildcard domains", (s) => {
    s.routes.virtualHosts[0]?.domains.push("*");
  }],
  ["weighted clusters summing to 0", (s) => {
    const action = s.routes.virtualHosts[0]?.routes[2]?.action.value as { clusterSpecifier: { value: { clusters: { weight: number }[] } } };
    for (const c of action.clusterSpecifier.value.clusters) c.weight = 0;
  }],
  ["a weighted cluster without a weight", (s) => {
    const action = s.routes.virtualHosts[0]?.routes[2]?.action.value as { clusterSpecifier: { value: { clusters: { weight: number | undefined }[] } } };
    (action.clusterSpecifier.value.clusters[0] as { weight: number | undefined }).weight = undefined;
  }],
  ["a route match without a path", (s) => {
    (firstRoute(s.routes)?.match as { pathSpecifier: unknown }).pathSpecifier = { case: undefined };
  }],
  ["a route without an action", (s) => {
    (firstRoute(s.routes) as { action: unknown }).action = { case: undefined };
  }],
  ["a header matcher without a name", (s) => {
    (firstRoute(s.routes)?.match?.headers[0] as { name: string }).name = "";
  }],
  ["a direct response status of 99", (s) => {
    (s.routes.virtualHosts[0]?.routes[0]?.action.value as { status: number }).status = 99;
  }],
  ["an undefined redirect response code", (s) => {
    (s.routes.virtualHosts[0]?.routes[3]?.action.value as { responseCode: number }).responseCode = 9;
  }],
  ["a virtual host without a name", (s) => {
    (s.vhds as { name: string }).name = "";
  }],
  ["a virtual host without domains", (s) => {
    (s.vhds as { domains: string[] }).domains = [];
  }],
  ["a route of a virtual host without an action", (s) => {
    (s.vhds.routes[0] as { action: unknown }).action = { case: undefined };
  }],
  ["a scoped route without a name", (s) => {
    (s.scoped as { name: string }).name = "";
  }],
  ["a scope key without fragments", (s) => {
    (s.scoped.key as { fragments: unknown[] }).fragments = [];
  }],
  ["a scoped route's inline routes serving a domain twice", (s) => {
    s.scoped.routeConfiguration?.virtualHosts[1]?.domains.push(s.scoped.routeConfiguration?.virtualHosts[0]?.domains[0] ?? "");
  }],
  ["an extension config without a name", (s) => {
    (s.extension as { name: string }).name = "";
  }],
  ["an extension config of an unknown type", (s) => {
    (s.extension.typedConfig as Any).typeUrl = "type.googleapis.com/example.v1.Ext";
  }],
  ["an extension config whose content breaks its rules", (s) => {
    s.extension.typedConfig = anyPack(BufferSchema, create(BufferSchema));
  }],
  ["a trusted CA file name that is empty", (s) => {
    (s.ca.type.value as { trustedCa: { specifier: unknown } }).trustedCa.specifier = { case: "filename", value: "" };
  }],
];

describe("agreement with Envoy 1.40", () => {
  it("EDS endpoints that are host names: Envoy rejects the update, the validator refuses the snapshot", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xdskit-validate-eds-"));
    const s = set(500);
    const hostile = clone(ClusterLoadAssignmentSchema, s.cla);
    const endpoint = hostile.endpoints[0]?.lbEndpoints[0]?.hostIdentifier;
    if (endpoint?.case !== "endpoint" || endpoint.value.address?.address.case !== "socketAddress") throw new Error("no endpoint");
    endpoint.value.address.address.value.address = "backend.example.com";
    const file = join(dir, "eds.json");
    writeFileSync(file, JSON.stringify({ resources: [{ "@type": ENDPOINT_TYPE_URL, ...(toJson(ClusterLoadAssignmentSchema, hostile) as object) }] }));
    const cluster = create(ClusterSchema, {
      name: "svc",
      connectTimeout: { seconds: 1n },
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "pathConfigSource", value: { path: file } } }, serviceName: hostile.clusterName },
    });
    const ours = validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [cluster], [ENDPOINT_TYPE_URL]: [hostile] });
    expect(ours.violations.map((v) => v.rule)).toEqual(["endpoint.eds-address"]);
    const envoy = await startEnvoy({
      name: "validate-eds",
      bootstrap: { node: { id: "validate-test", cluster: "xdskit" }, static_resources: { clusters: [toJson(ClusterSchema, cluster)] } },
      logLevel: "warn",
    });
    try {
      let rejected = 0;
      for (let tries = 0; tries < 100 && rejected === 0; tries++) {
        rejected = (await envoy.stats("cluster.svc.update_rejected")).get("cluster.svc.update_rejected") ?? 0;
        if (rejected === 0) await sleep(100);
      }
      expect(rejected).toBeGreaterThan(0);
      expect(envoy.log()).toContain("malformed IP address: backend.example.com");
    } finally {
      await envoy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("500+ generated valid resources pass the validator and Envoy", async () => {
    const seeds = fc.sample(fc.uniqueArray(fc.nat({ max: 999 }), { minLength: 40, maxLength: 40 }), { seed: 5, numRuns: 1 })[0] ?? [];
    const resources = seeds.flatMap((seed) => validResources(seed, 24000 + 2 * seed));
    expect(resources.length).toBeGreaterThanOrEqual(500);
    const ours = validator.validateSnapshot(byType(resources));
    expect(ours.violations).toEqual([]);
    for (const r of resources) expect(validator.validateResource(r.typeUrl, "", r.message).violations.filter((v) => v.rule !== "resource.duplicate-name")).toEqual([]);
    const envoy = await envoyValidate(bootstrapFor(resources));
    expect(envoy.output).toContain("OK");
    expect(envoy.ok).toBe(true);
  });

  it(`${invalid.length} resources Envoy rejects are refused by the validator`, async () => {
    expect(invalid.length).toBeGreaterThanOrEqual(50);
    const failures: string[] = [];
    for (const [k, [name, breakIt]] of invalid.entries()) {
      const s = set(k);
      try {
        breakIt(s);
      } catch (error) {
        failures.push(`${name}: the case itself failed: ${String(error)}`);
        continue;
      }
      const ours = validator.validateSnapshot(byType(s.all));
      const envoy = await envoyValidate(bootstrapFor(s.all, 40000 + 10 * k));
      if (envoy.ok) failures.push(`${name}: Envoy accepted it`);
      if (ours.ok) failures.push(`${name}: the validator accepted it; Envoy said ${envoy.output.split("\n").find((l) => l.includes("critical")) ?? envoy.output}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
