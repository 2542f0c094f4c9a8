// The resource set of the validation benchmark (bench/SCENARIOS.md section 8): 1,000 EDS clusters
// with an upstream TLS transport socket, circuit breakers, typed extension protocol options,
// health checks and outlier detection; 1,000 assignments (2 localities x 3 endpoints); 100
// listeners with a TLS filter chain and an HttpConnectionManager (RDS, 3 HTTP filters). Every
// resource differs from the others (names, SNI, ports, addresses), so no cache keyed by content
// could answer for another resource. Written once as length-prefixed `Any`s, read by both sides.

import { create, toBinary } from "@bufbuild/protobuf";
import { type Any, anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType, Cluster_LbPolicy, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { RoutingPriority } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ApiVersion, type ConfigSource, ConfigSourceSchema } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { HealthStatus } from "@xdskit/envoy-api/envoy/config/core/v3/health_check_pb";
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { type Listener, ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { CorsSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/cors/v3/cors_pb";
import { LocalRateLimitSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import {
	HttpConnectionManager_CodecType,
	HttpConnectionManagerSchema,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { DownstreamTlsContextSchema, UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { TlsParameters_TlsProtocol } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { SubjectAltNameMatcher_SanType } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { HttpProtocolOptionsSchema } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";

export interface ValidateBenchSizes {
	readonly clusters: number;
	readonly listeners: number;
}

const pad = (i: number): string => String(i).padStart(4, "0");

function ads(): ConfigSource {
	return create(ConfigSourceSchema, { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 });
}

function sds(name: string) {
	return { name, sdsConfig: ads() };
}

export function benchCluster(i: number): Cluster {
	const host = `svc-${pad(i)}.internal.example.com`;
	const tls = create(UpstreamTlsContextSchema, {
		sni: host,
		commonTlsContext: {
			alpnProtocols: ["h2", "http/1.1"],
			tlsParams: { tlsMinimumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_2 },
			tlsCertificateSdsSecretConfigs: [sds("client-cert")],
			validationContextType: {
				case: "combinedValidationContext",
				value: {
					defaultValidationContext: {
						matchTypedSubjectAltNames: [{ sanType: SubjectAltNameMatcher_SanType.DNS, matcher: { matchPattern: { case: "exact", value: host } } }],
					},
					validationContextSdsSecretConfig: sds("upstream-ca"),
				},
			},
		},
	});
	const protocol = create(HttpProtocolOptionsSchema, {
		commonHttpProtocolOptions: { idleTimeout: { seconds: 60n }, maxRequestsPerConnection: 1000 + i },
		upstreamProtocolOptions: {
			case: "explicitHttpConfig",
			value: { protocolConfig: { case: "http2ProtocolOptions", value: { maxConcurrentStreams: 100 + (i % 100), initialStreamWindowSize: 65536 } } },
		},
	});
	return create(ClusterSchema, {
		name: `cluster-${pad(i)}`,
		altStatName: `cluster_${pad(i)}`,
		clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
		edsClusterConfig: { edsConfig: ads(), serviceName: `cla-${pad(i)}` },
		connectTimeout: { seconds: 1n, nanos: (i % 1000) * 1_000_000 },
		lbPolicy: Cluster_LbPolicy.LEAST_REQUEST,
		perConnectionBufferLimitBytes: 32768,
		circuitBreakers: {
			thresholds: [
				{
					priority: RoutingPriority.DEFAULT,
					maxConnections: 1024 + i,
					maxPendingRequests: 1024,
					maxRequests: 4096,
					maxRetries: 3,
					retryBudget: { budgetPercent: { value: 20 }, minRetryConcurrency: 3 },
					trackRemaining: true,
				},
				{ priority: RoutingPriority.HIGH, maxConnections: 2048, maxPendingRequests: 2048, maxRequests: 8192, maxRetries: 10 },
			],
		},
		healthChecks: [
			{
				timeout: { seconds: 2n },
				interval: { seconds: 10n },
				unhealthyThreshold: 3,
				healthyThreshold: 2,
				healthChecker: { case: "httpHealthCheck", value: { path: "/healthz", host } },
			},
		],
		outlierDetection: { consecutive5xx: 5, interval: { seconds: 10n }, baseEjectionTime: { seconds: 30n }, maxEjectionPercent: 20 },
		transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, tls) } },
		typedExtensionProtocolOptions: { "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": anyPack(HttpProtocolOptionsSchema, protocol) },
	});
}

export function benchAssignment(i: number): ClusterLoadAssignment {
	const endpoints = [0, 1].map((zone) => ({
		locality: { region: "eu-west-1", zone: `eu-west-1${"ab"[zone]}` },
		loadBalancingWeight: 50,
		lbEndpoints: [0, 1, 2].map((j) => {
			const g = i * 6 + zone * 3 + j;
			return {
				healthStatus: HealthStatus.HEALTHY,
				loadBalancingWeight: 1 + j,
				hostIdentifier: {
					case: "endpoint" as const,
					value: {
						address: { address: { case: "socketAddress" as const, value: { address: `10.${(g >> 16) & 255}.${(g >> 8) & 255}.${g & 255}`, portSpecifier: { case: "portValue" as const, value: 8443 } } } },
						hostname: `pod-${g}.internal`,
					},
				},
			};
		}),
	}));
	return create(ClusterLoadAssignmentSchema, { clusterName: `cla-${pad(i)}`, endpoints, policy: { overprovisioningFactor: 140 } });
}

export function benchListener(i: number): Listener {
	const hcm = create(HttpConnectionManagerSchema, {
		statPrefix: `ingress_${pad(i)}`,
		codecType: HttpConnectionManager_CodecType.AUTO,
		routeSpecifier: { case: "rds", value: { routeConfigName: `route-${pad(i)}`, configSource: ads() } },
		httpFilters: [
			{ name: "envoy.filters.http.cors", configType: { case: "typedConfig", value: anyPack(CorsSchema, create(CorsSchema)) } },
			{
				name: "envoy.filters.http.local_ratelimit",
				configType: {
					case: "typedConfig",
					value: anyPack(
						LocalRateLimitSchema,
						create(LocalRateLimitSchema, { statPrefix: `rl_${pad(i)}`, tokenBucket: { maxTokens: 1000, tokensPerFill: 100, fillInterval: { seconds: 1n } } }),
					),
				},
			},
			{ name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } },
		],
		commonHttpProtocolOptions: { idleTimeout: { seconds: 300n }, headersWithUnderscoresAction: 1 },
		useRemoteAddress: true,
		requestTimeout: { seconds: 30n },
		upgradeConfigs: [{ upgradeType: "websocket" }],
	});
	const tls = create(DownstreamTlsContextSchema, {
		commonTlsContext: { alpnProtocols: ["h2", "http/1.1"], tlsCertificateSdsSecretConfigs: [sds(`server-cert-${pad(i)}`)] },
		requireClientCertificate: false,
	});
	return create(ListenerSchema, {
		name: `listener-${pad(i)}`,
		address: { address: { case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: 10000 + i } } } },
		filterChains: [
			{
				filterChainMatch: { serverNames: [`app-${pad(i)}.example.com`], transportProtocol: "tls" },
				filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }],
				transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(DownstreamTlsContextSchema, tls) } },
			},
		],
		listenerFilters: [{ name: "envoy.filters.listener.tls_inspector", configType: { case: "typedConfig", value: { typeUrl: "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector", value: new Uint8Array() } } }],
	});
}

/** Every resource of the set as an `Any`: clusters, then assignments, then listeners. */
export function benchResources(sizes: ValidateBenchSizes): Any[] {
	const out: Any[] = [];
	for (let i = 0; i < sizes.clusters; i++) out.push(anyPack(ClusterSchema, benchCluster(i)));
	for (let i = 0; i < sizes.clusters; i++) out.push(anyPack(ClusterLoadAssignmentSchema, benchAssignment(i)));
	for (let i = 0; i < sizes.listeners; i++) out.push(anyPack(ListenerSchema, benchListener(i)));
	return out;
}

/** The file both programs read: each `Any` as a 4-byte big-endian length and its encoding. */
export function encodeResourceFile(resources: readonly Any[]): Uint8Array {
	const parts = resources.map((a) => toBinary(AnySchema, a));
	const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
	const view = new DataView(out.buffer);
	let at = 0;
	for (const p of parts) {
		view.setUint32(at, p.length);
		out.set(p, at + 4);
		at += 4 + p.length;
	}
	return out;
}

/** The inverse of {@link encodeResourceFile}. */
export function decodeResourceFile(bytes: Uint8Array): Uint8Array[] {
	const out: Uint8Array[] = [];
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	for (let at = 0; at < bytes.length; ) {
		const n = view.getUint32(at);
		out.push(bytes.subarray(at + 4, at + 4 + n));
		at += 4 + n;
	}
	return out;
}
