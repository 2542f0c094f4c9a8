// The benchmark resource set of bench/SCENARIOS.md section 1, field for field what the Go peer
// (bench/peers/go-control-plane/resources.go) builds. Built with protobuf-es `create` rather than
// the resource builders so that no builder default (lb_policy, a 5 s connect timeout, an empty
// service_name) can make our bytes differ from the peer's.

import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { type ConfigSource, ApiVersion, ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { type Listener, ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { type RouteConfiguration, RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";

const BASE_PORT = 8080;

function pad4(i: number): string {
	return String(i).padStart(4, "0");
}

export const clusterName = (i: number): string => `cluster-${pad4(i)}`;
export const listenerName = (i: number): string => `listener-${pad4(i)}`;
export const routeName = (i: number): string => `route-${pad4(i)}`;

function adsSource(): ConfigSource {
	return create(ConfigSourceSchema, {
		configSourceSpecifier: { case: "ads", value: {} },
		resourceApiVersion: ApiVersion.V3,
	});
}

/** Cluster `i` as of the step `s` at which it last changed: connect_timeout = 1 s + s ms. */
export function makeCluster(i: number, s: number): Cluster {
	return create(ClusterSchema, {
		name: clusterName(i),
		clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
		edsClusterConfig: { edsConfig: adsSource() },
		connectTimeout: { seconds: BigInt(1 + Math.floor(s / 1000)), nanos: (s % 1000) * 1_000_000 },
	});
}

/** `A(g)`: the IPv4 address of global endpoint index g = i*K + j. */
export function endpointAddress(g: number): string {
	return `10.${(g >> 16) & 255}.${(g >> 8) & 255}.${g & 255}`;
}

/** The assignment of cluster `i`; `gen` holds the generations of its K endpoints, `offset` where they start. */
export function makeCla(i: number, k: number, gen: Int32Array, offset: number): ClusterLoadAssignment {
	const lbEndpoints = [];
	for (let j = 0; j < k; j++) {
		lbEndpoints.push({
			hostIdentifier: {
				case: "endpoint" as const,
				value: {
					address: {
						address: {
							case: "socketAddress" as const,
							value: {
								address: endpointAddress(i * k + j),
								portSpecifier: { case: "portValue" as const, value: BASE_PORT + (gen[offset + j] ?? 0) },
							},
						},
					},
				},
			},
		});
	}
	return create(ClusterLoadAssignmentSchema, { clusterName: clusterName(i), endpoints: [{ lbEndpoints }] });
}

export function makeListener(i: number): Listener {
	const manager = create(HttpConnectionManagerSchema, {
		statPrefix: listenerName(i),
		routeSpecifier: { case: "rds", value: { configSource: adsSource(), routeConfigName: routeName(i) } },
		httpFilters: [
			{
				name: "envoy.filters.http.router",
				configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) },
			},
		],
	});
	return create(ListenerSchema, {
		name: listenerName(i),
		address: {
			address: { case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: 10000 + i } } },
		},
		filterChains: [
			{
				filters: [
					{
						name: "envoy.filters.network.http_connection_manager",
						configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, manager) },
					},
				],
			},
		],
	});
}

export function makeRoute(i: number, clusters: number): RouteConfiguration {
	const target = clusters > 0 ? i % clusters : 0;
	return create(RouteConfigurationSchema, {
		name: routeName(i),
		virtualHosts: [
			{
				name: `vh-${pad4(i)}`,
				domains: ["*"],
				routes: [
					{
						match: { pathSpecifier: { case: "prefix", value: "/" } },
						action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: clusterName(target) } } },
					},
				],
			},
		],
	});
}
