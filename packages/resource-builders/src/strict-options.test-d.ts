import type {
  AdminOptions,
  BootstrapOptions,
  BuilderErrorDetails,
  CheckSnapshotResourcesOptions,
  ClusterLoadAssignmentOptions,
  ClusterOptions,
  ClusterWeightOptions,
  ConfigSourceOptions,
  DownstreamTlsOptions,
  EcdsHttpFilterOptions,
  EdsClusterOptions,
  EndpointOptions,
  ExtensionConfigOptions,
  GenerateSnapshotOptions,
  HttpConnectionManagerOptions,
  HttpFilterOptions,
  HttpListenerOptions,
  ListenerOptions,
  LocalityOptions,
  PrepareResourcesOptions,
  RdsOptions,
  RenderBootstrapOptions,
  RouteConfigurationOptions,
  RouteOptions,
  RuntimeOptions,
  ScopedRouteConfigurationOptions,
  ScopedRoutesOptions,
  ScopeKeyFragmentOptions,
  StaticClusterOptions,
  StrictDnsClusterOptions,
  TcpListenerOptions,
  TlsCertificateSecretOptions,
  TlsCommonOptions,
  UpstreamTlsOptions,
  ValidationContextSecretOptions,
  VirtualHostOptions,
  XdsServerOptions,
  XdsTlsOptions,
} from "@xdskit/resource-builders";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.
// (strict-options.test.ts builds every builder with its optional options given as undefined.)

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property of every option type accepts undefined", () => {
    expectTypeOf<RefusingUndefined<AdminOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<BootstrapOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<BuilderErrorDetails>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<CheckSnapshotResourcesOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ClusterLoadAssignmentOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ClusterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ClusterWeightOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ConfigSourceOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<DownstreamTlsOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EcdsHttpFilterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EdsClusterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EndpointOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ExtensionConfigOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<GenerateSnapshotOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<HttpConnectionManagerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<HttpFilterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<HttpListenerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ListenerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<LocalityOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<PrepareResourcesOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RdsOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RouteConfigurationOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RouteOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<NonNullable<RouteOptions["directResponse"]>>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RuntimeOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ScopedRouteConfigurationOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ScopedRoutesOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ScopeKeyFragmentOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<StaticClusterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<StrictDnsClusterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<TcpListenerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<TlsCertificateSecretOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<TlsCommonOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<UpstreamTlsOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ValidationContextSecretOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<VirtualHostOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RenderBootstrapOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<XdsServerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<XdsTlsOptions>>().toEqualTypeOf<never>();
  });
});
