import { create } from "@bufbuild/protobuf";
import type { VirtualHost } from "@xdskit/envoy-api/envoy/config/route/v3/route_components_pb";
import { RouteConfigurationSchema, type RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { checkDomains } from "./routes.js";
import { checkName, fail, subject } from "./validate.js";

/** Options of {@link routeConfiguration}. */
export interface RouteConfigurationOptions {
  /** The RDS resource name. */
  readonly name: string;
  /** The virtual hosts (see `virtualHost`); their domains must be unique across them. */
  readonly virtualHosts: readonly VirtualHost[];
  /** Make Envoy reject the configuration when a route names a cluster it does not know. Default: Envoy's (false for RDS). */
  readonly validateClusters?: boolean | undefined;
}

/**
 * An RDS resource. Rejects what Envoy would NACK: a domain served by two
 * virtual hosts (or twice by one), compared case-insensitively.
 */
export function routeConfiguration(opts: RouteConfigurationOptions): RouteConfiguration {
  const s = subject("RouteConfiguration", opts.name);
  const name = checkName(s, "name", opts.name);
  if (!Array.isArray(opts.virtualHosts)) fail(s, "missing-field", "virtualHosts", "must be a list of virtual hosts");
  checkDomains(
    s,
    opts.virtualHosts.flatMap((vh: VirtualHost, i) => vh.domains.map((domain: string, j: number) => ({ domain, field: `virtualHosts[${i}].domains[${j}]` }))),
  );
  return create(RouteConfigurationSchema, {
    name,
    virtualHosts: [...opts.virtualHosts],
    ...(opts.validateClusters === undefined ? {} : { validateClusters: opts.validateClusters }),
  });
}
