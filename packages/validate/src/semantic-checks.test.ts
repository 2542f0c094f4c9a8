// The snapshot-level checks beyond PGV: what each refuses, what it lets through, and that users
// can add their own.
import { create, toBinary, type Message, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, prepareRawResource, prepareResource, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { SocketAddress_Protocol } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema, type Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema, type RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { describe, expect, it } from "vitest";
import { builtinResourceChecks, builtinSnapshotChecks, createValidator, type ResourceCheck, type SnapshotCheck, type ValidationResult } from "./index.js";

const validator = createValidator();
const found = (r: ValidationResult): string[] => r.violations.map((v) => `${v.resourceName} ${v.field} ${v.rule}`);

function routes(domains: string[][], weights?: (number | undefined)[]): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name: "r",
    virtualHosts: domains.map((d, i) => ({
      name: `vh${i}`,
      domains: d,
      routes: [
        {
          match: { pathSpecifier: { case: "prefix" as const, value: "/" } },
          action: {
            case: "route" as const,
            value: {
              clusterSpecifier:
                weights === undefined
                  ? { case: "cluster" as const, value: "c" }
                  : { case: "weightedClusters" as const, value: { clusters: weights.map((weight) => ({ name: "c", ...(weight === undefined ? {} : { weight }) })) } },
            },
          },
        },
      ],
    })),
  });
}

const tcpFilter = { name: "tcp", configType: { case: "typedConfig" as const, value: anyPack(TcpProxySchema, create(TcpProxySchema, { statPrefix: "t", clusterSpecifier: { case: "cluster", value: "c" } })) } };

type ListenerInit = MessageInitShape<typeof ListenerSchema>;

function listener(name: string, port: number, extra: ListenerInit = {}): Listener {
  const init: ListenerInit = {
    name,
    address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } } } },
    filterChains: [{ filters: [tcpFilter] }],
  };
  return create(ListenerSchema, { ...init, ...extra } as ListenerInit);
}

describe("route checks", () => {
  it("duplicate domains, without case, across and within virtual hosts; one wildcard", () => {
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["a.com", "*.b.com"], ["c.com"]])))).toEqual([]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["Foo.com"], ["foo.com"]])))).toEqual(["r virtual_hosts[1].domains[0] route.duplicate-domain"]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["x.com", "x.com"]])))).toEqual(["r virtual_hosts[0].domains[1] route.duplicate-domain"]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*"], ["*"]])))).toEqual(["r virtual_hosts[1].domains[0] route.duplicate-domain"]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*.foo.com"], ["*.FOO.com"]])))).toEqual(["r virtual_hosts[1].domains[0] route.duplicate-domain"]);
  });

  it("weighted clusters: every weight set, sum above 0 and within uint32", () => {
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*"]], [1, 0])))).toEqual([]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*"]], [0, 0])))).toEqual(["r virtual_hosts[0].routes[0].route.weighted_clusters route.weighted-clusters"]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*"]], [5, undefined])))).toEqual(["r virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].weight route.weighted-clusters"]);
    expect(found(validator.validateResource(ROUTE_TYPE_URL, "r", routes([["*"]], [4294967295, 1])))).toEqual(["r virtual_hosts[0].routes[0].route.weighted_clusters route.weighted-clusters"]);
  });

  it("applies to route configurations carried inline by a listener", () => {
    const hcm = create(HttpConnectionManagerSchema, {
      statPrefix: "h",
      routeSpecifier: { case: "routeConfig", value: routes([["a.com"], ["A.com"]], [0]) },
      httpFilters: [{ name: "router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } }],
    });
    const l = listener("l", 80, { filterChains: [{ filters: [{ name: "hcm", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }] });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", l))).toEqual([
      "l filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].domains[0] route.duplicate-domain",
      "l filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.weighted_clusters route.weighted-clusters",
      "l filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[1].routes[0].route.weighted_clusters route.weighted-clusters",
    ]);
  });
});

describe("listener checks", () => {
  it("filter chains that claim the same connections", () => {
    const ok = listener("l", 80, { filterChains: [{ filterChainMatch: { serverNames: ["a.com"] }, filters: [tcpFilter] }, { filterChainMatch: { serverNames: ["b.com"] }, filters: [tcpFilter] }] });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", ok))).toEqual([]);
    const same = listener("l", 80, { filterChains: [{ filters: [tcpFilter] }, { filters: [tcpFilter] }] });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", same))).toEqual(["l filter_chains[1].filter_chain_match listener.duplicate-filter-chain-match"]);
    const overlap = listener("l", 80, { filterChains: [{ filterChainMatch: { serverNames: ["a.com", "b.com"] }, filters: [tcpFilter] }, { filterChainMatch: { serverNames: ["B.com"] }, filters: [tcpFilter] }] });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", overlap))).toEqual(["l filter_chains[1].filter_chain_match listener.duplicate-filter-chain-match"]);
    const cidr = listener("l", 80, {
      filterChains: [
        { filterChainMatch: { prefixRanges: [{ addressPrefix: "10.0.0.1", prefixLen: 8 }] }, filters: [tcpFilter] },
        { filterChainMatch: { prefixRanges: [{ addressPrefix: "10.0.0.0", prefixLen: 8 }] }, filters: [tcpFilter] },
        { filterChainMatch: { prefixRanges: [{ addressPrefix: "10.1.0.0", prefixLen: 16 }] }, filters: [tcpFilter] },
      ],
    });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", cidr))).toEqual(["l filter_chains[1].filter_chain_match listener.duplicate-filter-chain-match"]);
    const withDefault = listener("l", 80, { defaultFilterChain: { filters: [tcpFilter] } });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", withDefault))).toEqual([]);
  });

  it("a TCP listener without filter chains; UDP listeners need none", () => {
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "l", listener("l", 80, { filterChains: [] })))).toEqual(["l filter_chains listener.no-filter-chains"]);
    const udp = listener("u", 80, {
      filterChains: [],
      address: { address: { case: "socketAddress", value: { address: "127.0.0.1", protocol: SocketAddress_Protocol.UDP, portSpecifier: { case: "portValue", value: 80 } } } },
    });
    expect(found(validator.validateResource(LISTENER_TYPE_URL, "u", udp))).toEqual([]);
  });

  it("two listeners on one address and port (snapshot)", () => {
    const r = validator.validateSnapshot({
      [LISTENER_TYPE_URL]: [
        listener("a", 10000),
        listener("b", 10000),
        listener("c", 10001, { additionalAddresses: [{ address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: 10000 } } } } }] }),
        listener("d", 0),
        listener("e", 0),
        listener("f", 10000, { address: { address: { case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: 10000 } } } } }),
        listener("g", 10000, {
          filterChains: [],
          address: { address: { case: "socketAddress", value: { address: "127.0.0.1", protocol: SocketAddress_Protocol.UDP, portSpecifier: { case: "portValue", value: 10000 } } } },
        }),
      ],
    });
    expect(found(r)).toEqual(["b address listener.duplicate-address", "c additional_addresses[0].address listener.duplicate-address"]);
  });
});

describe("cluster checks", () => {
  const endpoint = (host: string) => ({ hostIdentifier: { case: "endpoint" as const, value: { address: { address: { case: "socketAddress" as const, value: { address: host, portSpecifier: { case: "portValue" as const, value: 80 } } } } } } });
  const cluster = (type: Cluster_DiscoveryType, hosts: string[] | undefined, lbPolicy = Cluster_LbPolicy.ROUND_ROBIN) =>
    create(ClusterSchema, {
      name: "c",
      connectTimeout: { seconds: 1n },
      clusterDiscoveryType: { case: "type", value: type },
      lbPolicy,
      ...(hosts === undefined ? {} : { loadAssignment: { clusterName: "c", endpoints: [{ lbEndpoints: hosts.map(endpoint) }] } }),
    });

  it("what each cluster type accepts", () => {
    const check = (m: Message) => found(validator.validateResource(CLUSTER_TYPE_URL, "c", m));
    expect(check(cluster(Cluster_DiscoveryType.STATIC, ["10.0.0.1", "::1"]))).toEqual([]);
    expect(check(cluster(Cluster_DiscoveryType.STATIC, ["backend.example.com"]))).toEqual(["c load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address cluster.endpoint-kind"]);
    expect(check(cluster(Cluster_DiscoveryType.STRICT_DNS, ["a.example.com", "b.example.com"]))).toEqual([]);
    expect(check(cluster(Cluster_DiscoveryType.LOGICAL_DNS, ["a.example.com"]))).toEqual([]);
    expect(check(cluster(Cluster_DiscoveryType.LOGICAL_DNS, ["a.example.com", "b.example.com"]))).toEqual(["c load_assignment.endpoints cluster.endpoint-kind"]);
    expect(check(cluster(Cluster_DiscoveryType.ORIGINAL_DST, undefined, Cluster_LbPolicy.CLUSTER_PROVIDED))).toEqual([]);
    expect(check(cluster(Cluster_DiscoveryType.ORIGINAL_DST, ["10.0.0.1"], Cluster_LbPolicy.CLUSTER_PROVIDED))).toEqual(["c load_assignment cluster.endpoint-kind"]);
    expect(check(cluster(Cluster_DiscoveryType.ORIGINAL_DST, undefined))).toEqual(["c lb_policy cluster.endpoint-kind"]);
    expect(check(cluster(Cluster_DiscoveryType.STATIC, ["10.0.0.1"], Cluster_LbPolicy.CLUSTER_PROVIDED))).toEqual(["c lb_policy cluster.endpoint-kind"]);
  });

  it("EDS endpoints must be IP addresses (snapshot)", () => {
    const eds = create(ClusterSchema, {
      name: "e",
      connectTimeout: { seconds: 1n },
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } }, serviceName: "svc" },
    });
    const cla = (name: string, host: string) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ lbEndpoints: [endpoint(host)] }] });
    const r = validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [eds], [ENDPOINT_TYPE_URL]: [cla("svc", "backend.example.com"), cla("unused", "x.example.com")] });
    expect(found(r)).toEqual(["svc endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address endpoint.eds-address"]);
  });
});

describe("user checks", () => {
  it("replace or extend the built-in ones", () => {
    const noHttp: ResourceCheck = {
      rule: "example.no-port-80",
      description: "Port 80 is reserved here.",
      typeUrl: LISTENER_TYPE_URL,
      check(message, report) {
        const a = (message as Listener).address?.address;
        if (a?.case === "socketAddress" && a.value.portSpecifier.case === "portValue" && a.value.portSpecifier.value === 80) {
          report({ field: "address.socket_address.port_value", message: "port 80 is reserved", value: 80 });
        }
      },
    };
    const twoListeners: SnapshotCheck = {
      rule: "example.at-most-one-listener",
      description: "One listener per snapshot.",
      check(snapshot, report) {
        const names = [...snapshot.resources(LISTENER_TYPE_URL).keys()].sort();
        for (const name of names.slice(1)) report({ typeUrl: LISTENER_TYPE_URL, resourceName: name, field: "", message: "only one listener is allowed" });
      },
    };
    const custom = createValidator({ resourceChecks: [...builtinResourceChecks, noHttp], snapshotChecks: [...builtinSnapshotChecks, twoListeners] });
    const r = custom.validateSnapshot({ [LISTENER_TYPE_URL]: [listener("a", 80), listener("b", 81)] });
    expect(found(r)).toEqual(["a address.socket_address.port_value example.no-port-80", "b  example.at-most-one-listener"]);
    const none = createValidator({ resourceChecks: [], snapshotChecks: [] });
    expect(none.validateSnapshot({ [LISTENER_TYPE_URL]: [listener("a", 80), listener("b", 80)] }).ok).toBe(true);
  });

  it("a check that throws is reported, not propagated", () => {
    const broken: ResourceCheck = { rule: "example.broken", description: "Throws.", typeUrl: ROUTE_TYPE_URL, check: () => { throw new Error("boom"); } };
    const r = createValidator({ resourceChecks: [broken] }).validateResource(ROUTE_TYPE_URL, "r", routes([["a.com"]]));
    expect(found(r)).toEqual(["r  example.broken"]);
    expect(r.violations[0]?.message).toContain("boom");
  });
});

describe("references (cache-core's findInconsistencies)", () => {
  const eds = (name: string, service: string) =>
    create(ClusterSchema, {
      name,
      connectTimeout: { seconds: 1n },
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } }, serviceName: service },
    });
  const cla = (name: string) => create(ClusterLoadAssignmentSchema, { clusterName: name });
  const rdsListener = (name: string, routeName: string) => {
    const hcm = create(HttpConnectionManagerSchema, {
      statPrefix: "h",
      routeSpecifier: { case: "rds", value: { routeConfigName: routeName, configSource: { configSourceSpecifier: { case: "ads", value: {} } } } },
      httpFilters: [{ name: "router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } }],
    });
    return listener(name, 8080, { filterChains: [{ filters: [{ name: "hcm", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }] });
  };

  it("a reference without its resource is a violation of the resource that refers to it, naming the missing one", () => {
    const r = validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [eds("a", "svc-a"), eds("b", "svc-b")], [ENDPOINT_TYPE_URL]: [cla("svc-a")], [LISTENER_TYPE_URL]: [rdsListener("l", "routes")] });
    expect(found(r)).toEqual(["b  reference.missing", "l  reference.missing"]);
    expect(r.violations.map((v) => v.typeUrl)).toEqual([CLUSTER_TYPE_URL, LISTENER_TYPE_URL]);
    expect(r.violations.map((v) => v.message)).toEqual([
      'refers to ClusterLoadAssignment "svc-b", which the snapshot does not hold',
      'refers to RouteConfiguration "routes", which the snapshot does not hold',
    ]);
  });

  it("a reference given in options (no resource of its own refers) names the missing resource", () => {
    const custom = createValidator({ references: { references: new Map([[ROUTE_TYPE_URL, new Set(["extra"])]]) } });
    const r = custom.validateSnapshot({ [CLUSTER_TYPE_URL]: [eds("a", "svc-a")], [ENDPOINT_TYPE_URL]: [cla("svc-a")] });
    expect(found(r)).toEqual(["extra  reference.missing"]);
    expect(r.violations[0]?.typeUrl).toBe(ROUTE_TYPE_URL);
  });

  it("types served elsewhere, unused resources and switching the check off", () => {
    const snapshot = { [CLUSTER_TYPE_URL]: [eds("a", "svc-a")], [ENDPOINT_TYPE_URL]: [cla("unused")] };
    expect(found(validator.validateSnapshot(snapshot))).toEqual(["a  reference.missing"]);
    expect(found(createValidator({ references: { externalTypes: [ENDPOINT_TYPE_URL] } }).validateSnapshot(snapshot))).toEqual([]);
    expect(found(createValidator({ references: { unused: true } }).validateSnapshot(snapshot))).toEqual(["a  reference.missing", "unused  reference.unused"]);
    expect(found(createValidator({ references: false }).validateSnapshot(snapshot))).toEqual([]);
  });
});

describe("inputs", () => {
  it("validateSnapshot takes cache-core CachedResources, with a message or bytes only", () => {
    const bad = create(ClusterSchema, { name: "c", connectTimeout: { seconds: -1n }, clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.STATIC } });
    const prepared = prepareResource(ClusterSchema, bad);
    const raw = prepareRawResource({ typeUrl: CLUSTER_TYPE_URL, name: "raw", bytes: toBinary(ClusterSchema, create(ClusterSchema, { name: "raw", lbPolicy: 77 as Cluster_LbPolicy })) });
    const r = validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [prepared, raw] });
    expect(found(r)).toEqual(["c connect_timeout duration.gt", "raw lb_policy enum.defined_only"]);
  });
});
