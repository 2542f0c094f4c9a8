import { create } from "@bufbuild/protobuf";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import {
  ScopedRouteConfiguration_Key_FragmentSchema,
  ScopedRouteConfiguration_KeySchema,
  ScopedRouteConfigurationSchema,
  type ScopedRouteConfiguration,
} from "@xdskit/envoy-api/envoy/config/route/v3/scoped_route_pb";
import { checkName, fail, subject } from "./validate.js";

/** Options of {@link scopedRouteConfiguration}: exactly one of `routeConfigurationName` and `routeConfiguration`. */
export interface ScopedRouteConfigurationOptions {
  /** The SRDS resource (scope) name. */
  readonly name: string;
  /** The RDS route configuration this scope uses, fetched by name. */
  readonly routeConfigurationName?: string | undefined;
  /** Or the route configuration inline. */
  readonly routeConfiguration?: RouteConfiguration | undefined;
  /**
   * The scope key: one string per fragment of the listener's scope key
   * builder, in order. A request whose computed key equals this uses this scope.
   */
  readonly key: readonly string[];
  /** Load the scope's routes only when a request first hits it. Default: false. */
  readonly onDemand?: boolean | undefined;
}

/** An SRDS resource: one scope of a scoped-routes listener. */
export function scopedRouteConfiguration(opts: ScopedRouteConfigurationOptions): ScopedRouteConfiguration {
  const s = subject("ScopedRouteConfiguration", opts.name);
  const name = checkName(s, "name", opts.name);
  if (opts.routeConfigurationName !== undefined && opts.routeConfiguration !== undefined) {
    fail(s, "conflicting-fields", "routeConfiguration", "give either routeConfigurationName or an inline routeConfiguration, not both");
  }
  if (opts.routeConfigurationName === undefined && opts.routeConfiguration === undefined) {
    fail(s, "missing-field", "routeConfigurationName", "a scope needs routeConfigurationName or an inline routeConfiguration");
  }
  if (!Array.isArray(opts.key) || opts.key.length === 0) fail(s, "missing-field", "key", "must have at least one fragment");
  const fragments = opts.key.map((value, i) => {
    if (typeof value !== "string") fail(s, "invalid-value", `key[${i}]`, "must be a string");
    return create(ScopedRouteConfiguration_Key_FragmentSchema, { type: { case: "stringKey", value } });
  });
  return create(ScopedRouteConfigurationSchema, {
    name,
    onDemand: opts.onDemand ?? false,
    key: create(ScopedRouteConfiguration_KeySchema, { fragments }),
    ...(opts.routeConfigurationName === undefined
      ? {}
      : { routeConfigurationName: checkName(s, "routeConfigurationName", opts.routeConfigurationName) }),
    ...(opts.routeConfiguration === undefined ? {} : { routeConfiguration: opts.routeConfiguration }),
  });
}
