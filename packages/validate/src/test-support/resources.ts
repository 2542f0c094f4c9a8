// Valid resources of every xDS type, varied by a seed: the starting points of the mutation
// corpus (compared with go-control-plane) and the valid corpus (checked by a real Envoy). They
// stay within what Envoy accepts in a bootstrap: static clusters carry their endpoints, HTTP
// listeners carry their routes, secrets are inline.
import { create, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { TYPE_URL_PREFIX } from "@xdskit/cache-core";
import { envoyRegistry } from "@xdskit/envoy-api/registry";
import { Cluster_DiscoveryType, Cluster_LbPolicy, Cluster_DnsLookupFamily, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { RoutingPriority, RequestMethod } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ApiVersion, ConfigSourceSchema, type ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";
import { TypedExtensionConfigSchema } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { HealthStatus } from "@xdskit/envoy-api/envoy/config/core/v3/health_check_pb";
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteSchema, VirtualHostSchema, type Route, type VirtualHost } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema, type RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { ScopedRouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { FileAccessLogSchema } from "@xdskit/envoy-api/envoy/extensions/access_loggers/file/v3/file_pb";
import { BufferSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/buffer/v3/buffer_pb";
import { CorsSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/cors/v3/cors_pb";
import { LocalRateLimitSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { TlsInspectorSchema } from "@xdskit/envoy-api/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb";
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManagerSchema,
  type HttpConnectionManager,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { TcpProxySchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb";
import { TlsParameters_TlsProtocol } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/common_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { DownstreamTlsContextSchema, UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { HttpProtocolOptionsSchema } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";

/** A resource with its type URL. */
export interface TypedResource {
  readonly typeUrl: string;
  readonly message: Message;
}

const typed = (schema: DescMessage, message: Message): TypedResource => ({ typeUrl: TYPE_URL_PREFIX + schema.typeName, message });

const ads = (): ConfigSource => create(ConfigSourceSchema, { configSourceSpecifier: { case: "ads", value: {} }, resourceApiVersion: ApiVersion.V3 });

/** A self-signed P-256 certificate for localhost valid until 2126, and its key: test material only. */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIUbdATyFlp69QfTvlXQfPYA1XYy78wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTIyMTU0NVoYDzIxMjYxMTA1
MjIxNTQ1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAS3R3NHxMIlFPd1xSevDqWWhK9hQQo5vYWo2Yondo1crxtuDn76estc
ZLtHPWvjviIkRx86uicStP1IzCU+d5Kuo2kwZzAdBgNVHQ4EFgQUdNqdS6oM3DGc
eYgX4RQIhSOaSCswHwYDVR0jBBgwFoAUdNqdS6oM3DGceYgX4RQIhSOaSCswDwYD
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
SQAwRgIhAO3OI/kBwWGZv+q9H//ghpVSXFAER9NQxoKQ5OoGZgkjAiEAysCciXm4
R1tjWbrKGv7k6QS+OAptleqS4yeO/4NZ2IY=
-----END CERTIFICATE-----
`;
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzxLi8HTK1/MS6GIY
0dpT3sRhWEDMg5llCrKc3AQX43+hRANCAAS3R3NHxMIlFPd1xSevDqWWhK9hQQo5
vYWo2Yondo1crxtuDn76estcZLtHPWvjviIkRx86uicStP1IzCU+d5Ku
-----END PRIVATE KEY-----
`;

function cla(name: string, i: number, hosts: "ip" | "name" = "ip"): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [0, 1].map((zone) => ({
      locality: { region: "eu-west-1", zone: `zone-${zone}` },
      loadBalancingWeight: 10 + zone,
      priority: zone,
      lbEndpoints: [0, 1].map((j) => ({
        healthStatus: j === 0 ? HealthStatus.HEALTHY : HealthStatus.UNKNOWN,
        loadBalancingWeight: 1 + j,
        hostIdentifier: {
          case: "endpoint" as const,
          value: {
            address: {
              address: {
                case: "socketAddress" as const,
                value: {
                  address: hosts === "ip" ? `10.${i % 250}.${zone}.${j + 1}` : `backend-${i}-${zone}-${j}.example.com`,
                  portSpecifier: { case: "portValue" as const, value: 8000 + ((i + j) % 1000) },
                },
              },
            },
          },
        },
      })),
    })),
    policy: { overprovisioningFactor: 140 + (i % 20) },
  });
}

function cluster(i: number): TypedResource[] {
  const name = `cluster-${i}`;
  const tls = create(UpstreamTlsContextSchema, {
    sni: `svc-${i}.example.com`,
    commonTlsContext: {
      alpnProtocols: ["h2", "http/1.1"],
      tlsParams: { tlsMinimumProtocolVersion: TlsParameters_TlsProtocol.TLSv1_2 },
      validationContextType: { case: "validationContext", value: { trustedCa: { specifier: { case: "inlineString", value: TEST_CERT } } } },
    },
  });
  const protocol = create(HttpProtocolOptionsSchema, {
    commonHttpProtocolOptions: { idleTimeout: { seconds: BigInt(30 + (i % 60)) } },
    upstreamProtocolOptions: { case: "explicitHttpConfig", value: { protocolConfig: { case: "http2ProtocolOptions", value: { maxConcurrentStreams: 100 } } } },
  });
  const staticCluster = create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: "type", value: i % 3 === 0 ? Cluster_DiscoveryType.STRICT_DNS : Cluster_DiscoveryType.STATIC },
    dnsLookupFamily: Cluster_DnsLookupFamily.V4_ONLY,
    connectTimeout: { seconds: 1n, nanos: (i % 10) * 100_000_000 },
    lbPolicy: [Cluster_LbPolicy.ROUND_ROBIN, Cluster_LbPolicy.LEAST_REQUEST, Cluster_LbPolicy.RANDOM][i % 3] ?? Cluster_LbPolicy.ROUND_ROBIN,
    loadAssignment: cla(name, i, i % 3 === 0 ? "name" : "ip"),
    circuitBreakers: {
      thresholds: [{ priority: RoutingPriority.DEFAULT, maxConnections: 100 + i, maxRequests: 1000, retryBudget: { budgetPercent: { value: 25 }, minRetryConcurrency: 2 } }],
    },
    healthChecks: [
      {
        timeout: { seconds: 2n },
        interval: { seconds: 5n },
        unhealthyThreshold: 3,
        healthyThreshold: 2,
        healthChecker: { case: "httpHealthCheck", value: { path: "/healthz", host: `svc-${i}.example.com` } },
      },
    ],
    outlierDetection: { consecutive5xx: 5, interval: { seconds: 10n }, baseEjectionTime: { seconds: 30n }, maxEjectionPercent: 50 },
    transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, tls) } },
    typedExtensionProtocolOptions: { "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": anyPack(HttpProtocolOptionsSchema, protocol) },
    perConnectionBufferLimitBytes: 32768,
  });
  const edsCluster = create(ClusterSchema, {
    name: `eds-${i}`,
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: ads(), serviceName: `eds-service-${i}` },
    connectTimeout: { seconds: 0n, nanos: 250_000_000 },
    commonLbConfig: { healthyPanicThreshold: { value: 40 } },
  });
  return [typed(ClusterSchema, staticCluster), typed(ClusterSchema, edsCluster), typed(ClusterLoadAssignmentSchema, cla(`eds-service-${i}`, i))];
}

function routes(i: number, clusterName: string): RouteConfiguration {
  const r: Route[] = [
    create(RouteSchema, {
      name: "health",
      match: { pathSpecifier: { case: "path", value: "/health" } },
      action: { case: "directResponse", value: { status: 200, body: { specifier: { case: "inlineString", value: "ok" } } } },
    }),
    create(RouteSchema, {
      match: {
        pathSpecifier: { case: "safeRegex", value: { regex: "^/v[0-9]+/.*" } },
        headers: [{ name: "x-canary", headerMatchSpecifier: { case: "stringMatch", value: { matchPattern: { case: "exact", value: "1" } } } }],
      },
      action: {
        case: "route",
        value: {
          clusterSpecifier: { case: "cluster", value: clusterName },
          timeout: { seconds: BigInt(5 + (i % 5)) },
          retryPolicy: { retryOn: "5xx,reset", numRetries: 3, perTryTimeout: { seconds: 1n } },
          hostRewriteSpecifier: { case: "hostRewriteLiteral", value: `upstream-${i}.internal` },
        },
      },
    }),
    create(RouteSchema, {
      match: { pathSpecifier: { case: "prefix", value: "/split" } },
      action: {
        case: "route",
        value: {
          clusterSpecifier: { case: "weightedClusters", value: { clusters: [{ name: clusterName, weight: 80 }, { name: clusterName, weight: 20, requestHeadersToAdd: [{ header: { key: "x-split", value: "b" } }] }] } },
        },
      },
    }),
    create(RouteSchema, {
      match: { pathSpecifier: { case: "prefix", value: "/old" } },
      action: { case: "redirect", value: { pathRewriteSpecifier: { case: "prefixRewrite", value: "/new" }, responseCode: 1 } },
    }),
    create(RouteSchema, {
      match: { pathSpecifier: { case: "prefix", value: "/" } },
      action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: clusterName } } },
    }),
  ];
  const vh = (name: string, domains: string[], rs: Route[]): VirtualHost => create(VirtualHostSchema, { name, domains, routes: rs });
  return create(RouteConfigurationSchema, {
    name: `routes-${i}`,
    virtualHosts: [vh("api", [`api-${i}.example.com`, `*.api-${i}.example.com`], r), vh("default", ["*"], [r[4] as Route])],
    responseHeadersToAdd: [{ header: { key: "x-served-by", value: `xdskit-${i}` } }],
  });
}

function hcm(i: number, clusterName: string): HttpConnectionManager {
  return create(HttpConnectionManagerSchema, {
    statPrefix: `ingress_${i}`,
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: { case: "routeConfig", value: routes(i, clusterName) },
    httpFilters: [
      { name: "envoy.filters.http.cors", configType: { case: "typedConfig", value: anyPack(CorsSchema, create(CorsSchema)) } },
      {
        name: "envoy.filters.http.local_ratelimit",
        configType: {
          case: "typedConfig",
          value: anyPack(LocalRateLimitSchema, create(LocalRateLimitSchema, { statPrefix: `rl_${i}`, tokenBucket: { maxTokens: 100, tokensPerFill: 10, fillInterval: { seconds: 1n } } })),
        },
      },
      { name: "envoy.filters.http.buffer", configType: { case: "typedConfig", value: anyPack(BufferSchema, create(BufferSchema, { maxRequestBytes: 65536 })) } },
      { name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } },
    ],
    accessLog: [
      {
        name: "envoy.access_loggers.file",
        configType: { case: "typedConfig", value: anyPack(FileAccessLogSchema, create(FileAccessLogSchema, { path: "/dev/null" })) },
      },
    ],
    commonHttpProtocolOptions: { idleTimeout: { seconds: 300n } },
    useRemoteAddress: true,
    requestTimeout: { seconds: 30n },
  });
}

function listeners(i: number, port: number, clusterName: string): TypedResource[] {
  const http = create(ListenerSchema, {
    name: `http-${i}`,
    address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } } } },
    filterChains: [
      {
        filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm(i, clusterName)) } }],
      },
    ],
  });
  const tls = create(DownstreamTlsContextSchema, {
    commonTlsContext: { alpnProtocols: ["h2"], tlsCertificateSdsSecretConfigs: [{ name: `server-cert-${i}`, sdsConfig: ads() }] },
  });
  const tcp = create(ListenerSchema, {
    name: `tcp-${i}`,
    address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port + 1 } } } },
    listenerFilters: [{ name: "envoy.filters.listener.tls_inspector", configType: { case: "typedConfig", value: anyPack(TlsInspectorSchema, create(TlsInspectorSchema)) } }],
    filterChains: [
      {
        filterChainMatch: { serverNames: [`tcp-${i}.example.com`], transportProtocol: "tls" },
        transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(DownstreamTlsContextSchema, tls) } },
        filters: [
          {
            name: "envoy.filters.network.tcp_proxy",
            configType: {
              case: "typedConfig",
              value: anyPack(
                TcpProxySchema,
                create(TcpProxySchema, {
                  statPrefix: `tcp_${i}`,
                  clusterSpecifier: { case: "weightedClusters", value: { clusters: [{ name: clusterName, weight: 3 }, { name: clusterName, weight: 1 }] } },
                  idleTimeout: { seconds: 600n },
                  maxConnectAttempts: 3,
                }),
              ),
            },
          },
        ],
      },
      {
        filters: [
          {
            name: "envoy.filters.network.tcp_proxy",
            configType: { case: "typedConfig", value: anyPack(TcpProxySchema, create(TcpProxySchema, { statPrefix: `tcp_plain_${i}`, clusterSpecifier: { case: "cluster", value: clusterName } })) },
          },
        ],
      },
    ],
  });
  return [typed(ListenerSchema, http), typed(ListenerSchema, tcp)];
}

function others(i: number, clusterName: string): TypedResource[] {
  const secret = create(SecretSchema, {
    name: `ca-${i}`,
    type: { case: "validationContext", value: { trustedCa: { specifier: { case: "inlineString", value: TEST_CERT } }, matchTypedSubjectAltNames: [] } },
  });
  const ticketKeys = create(SecretSchema, {
    name: `tickets-${i}`,
    type: { case: "sessionTicketKeys", value: { keys: [{ specifier: { case: "inlineBytes", value: new Uint8Array(80).fill(i % 256) } }] } },
  });
  const generic = create(SecretSchema, { name: `generic-${i}`, type: { case: "genericSecret", value: { secret: { specifier: { case: "inlineString", value: `token-${i}` } } } } });
  const runtime = create(RuntimeSchema, {
    name: `rtds-${i}`,
    layer: { fields: { "health_check.min_interval": { kind: { case: "numberValue", value: 5 + i } }, feature: { kind: { case: "boolValue", value: true } } } },
  });
  const extension = create(TypedExtensionConfigSchema, {
    name: `buffer-${i}`,
    typedConfig: anyPack(BufferSchema, create(BufferSchema, { maxRequestBytes: 1024 * (1 + (i % 64)) })),
  });
  const scoped = create(ScopedRouteConfigurationSchema, {
    name: `scope-${i}`,
    routeConfiguration: routes(i, clusterName),
    key: { fragments: [{ type: { case: "stringKey", value: `tenant-${i}` } }] },
  });
  const vhds = create(VirtualHostSchema, {
    name: `vhds-${i}`,
    domains: [`vhds-${i}.example.com`],
    routes: [{ match: { pathSpecifier: { case: "prefix", value: "/" } }, action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: clusterName } } } }],
    retryPolicy: { retryOn: "connect-failure", numRetries: 1, retriableRequestHeaders: [{ name: ":method", headerMatchSpecifier: { case: "exactMatch", value: RequestMethod[RequestMethod.GET] } }] },
  });
  return [
    typed(SecretSchema, secret),
    typed(SecretSchema, ticketKeys),
    typed(SecretSchema, generic),
    typed(RuntimeSchema, runtime),
    typed(TypedExtensionConfigSchema, extension),
    typed(ScopedRouteConfigurationSchema, scoped),
    typed(VirtualHostSchema, vhds),
    typed(RouteConfigurationSchema, routes(i, clusterName)),
  ];
}

/** A set of valid resources of every type, all distinct for distinct `i` (ports from `port`). */
export function validResources(i: number, port = 20000 + 2 * i): TypedResource[] {
  const clusters = cluster(i);
  const clusterName = `cluster-${i}`;
  return [...clusters, ...listeners(i, port, clusterName), ...others(i, clusterName)];
}

/** An `Any` holding a resource (as go-control-plane's peer reads them). */
export function asAny(r: TypedResource): Any {
  const schema = r.message.$typeName;
  return { $typeName: "google.protobuf.Any", typeUrl: r.typeUrl, value: toBytes(r, schema) };
}

function toBytes(r: TypedResource, typeName: string): Uint8Array {
  const schema = envoyRegistry.getMessage(typeName);
  if (schema === undefined) throw new Error(`unknown type ${typeName}`);
  return toBinary(schema, r.message);
}
