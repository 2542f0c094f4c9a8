export { bootstrap, type AdminOptions, type BootstrapMode, type BootstrapOptions, type XdsServerOptions } from "./bootstrap.js";
export { bootstrapToJson, bootstrapToYaml, type RenderBootstrapOptions } from "./render-bootstrap.js";
export { BuilderError, type BuilderErrorCode, type BuilderErrorDetails } from "./builder-error.js";
export {
  edsCluster,
  staticCluster,
  strictDnsCluster,
  type ClusterOptions,
  type DnsLookupFamily,
  type EdsClusterOptions,
  type LbPolicy,
  type StaticClusterOptions,
  type StrictDnsClusterOptions,
} from "./clusters.js";
export { configSource, type ConfigSourceMode, type ConfigSourceOptions } from "./config-sources.js";
export { clusterLoadAssignment, type ClusterLoadAssignmentOptions, type EndpointOptions, type LocalityOptions } from "./endpoints.js";
export { extensionConfig, type ExtensionConfigOptions } from "./extension-configs.js";
export {
  httpConnectionManager,
  type HttpConnectionManagerOptions,
  type RdsOptions,
  type ScopedRoutesOptions,
  type ScopeKeyFragmentOptions,
} from "./http-connection-manager.js";
export { ecdsHttpFilter, httpFilter, type EcdsHttpFilterOptions, type HttpFilterOptions } from "./http-filters.js";
export { httpListener, tcpListener, type HttpListenerOptions, type ListenerOptions, type TcpListenerOptions } from "./listeners.js";
export { routeConfiguration, type RouteConfigurationOptions } from "./route-configuration.js";
export { route, virtualHost, type ClusterWeightOptions, type RouteOptions, type VirtualHostOptions } from "./routes.js";
export { runtime, type RuntimeOptions } from "./runtime.js";
export { scopedRouteConfiguration, type ScopedRouteConfigurationOptions } from "./scoped-route-configuration.js";
export {
  tlsCertificateSecret,
  validationContextSecret,
  type TlsCertificateSecretOptions,
  type ValidationContextSecretOptions,
} from "./secrets.js";
export { generateSnapshotResources, type GeneratedSnapshot, type GenerateSnapshotOptions } from "./snapshot-generator.js";
export { builderRegistry } from "./builder-validator.js";
export { checkSnapshotResources, type CheckSnapshotResourcesOptions } from "./check-snapshot-resources.js";
export { prepareResources, type MessagesByType, type PrepareResourcesOptions } from "./prepare-resources.js";
export {
  downstreamTlsTransportSocket,
  upstreamTlsTransportSocket,
  type DownstreamTlsOptions,
  type TlsCommonOptions,
  type UpstreamTlsOptions,
} from "./tls-transport-sockets.js";
export type { PemSource, XdsTlsOptions } from "./xds-tls.js";
