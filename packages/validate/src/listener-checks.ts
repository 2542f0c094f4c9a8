import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { SocketAddress_Protocol, type Address } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import type { CidrRange } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import type { FilterChain, FilterChainMatch } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_components_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { RouteConfiguration } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import {
  HttpConnectionManagerSchema,
  type HttpConnectionManager,
} from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import type { ResourceProblem } from "./semantic-check.js";
import { parseIpv4, parseIpv6 } from "./well-known-strings.js";
import { readVarint, skipField, varint } from "./wire-reader.js";

type Report = (problem: ResourceProblem) => void;

const HCM_TYPE_URL = `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`;
// More leaves than this per chain (lists multiplied together) and we compare whole matches instead.
const MAX_LEAVES = 10_000;

/** The listener's filter chains, the default chain included, with their paths. */
export function* filterChains(listener: Listener): Generator<[FilterChain, string]> {
  for (const [i, chain] of listener.filterChains.entries()) yield [chain, `filter_chains[${i}]`];
  if (listener.defaultFilterChain !== undefined) yield [listener.defaultFilterChain, "default_filter_chain"];
}

/** Every HttpConnectionManager in the listener (decoded, if `want` its bytes), with the path of its typed_config. */
export function* connectionManagers(listener: Listener, want: (bytes: Uint8Array) => boolean = () => true): Generator<[HttpConnectionManager, string]> {
  const found: [Any | undefined, string][] = [];
  for (const [chain, path] of filterChains(listener)) {
    for (const [j, filter] of chain.filters.entries()) {
      if (filter.configType.case === "typedConfig") found.push([filter.configType.value, `${path}.filters[${j}].typed_config`]);
    }
  }
  found.push([listener.apiListener?.apiListener, "api_listener.api_listener"]);
  for (const [any, path] of found) {
    if (any?.typeUrl !== HCM_TYPE_URL || !want(any.value)) continue;
    try {
      yield [fromBinary(HttpConnectionManagerSchema, any.value), path];
    } catch {
      // Reported by the PGV pass as any.decode.
    }
  }
}

// HttpConnectionManager fields that carry route configurations inline: route_config (4) and
// scoped_routes (31). Listeners without them (RDS) need not be decoded at all.
const ROUTE_CONFIG = 4;
const SCOPED_ROUTES = 31;

/** Whether encoded HttpConnectionManager bytes have a top-level route_config or scoped_routes. */
function mayCarryRoutes(bytes: Uint8Array): boolean {
  try {
    for (let pos = 0; pos < bytes.length; ) {
      pos = readVarint(bytes, pos, bytes.length);
      const tag = varint.lo >>> 0;
      const num = tag >>> 3;
      if (num === ROUTE_CONFIG || num === SCOPED_ROUTES) return true;
      pos = skipField(bytes, pos, bytes.length, tag & 7, num);
    }
    return false;
  } catch {
    return true; // let the decoder say what is wrong
  }
}

/** Every route configuration carried inline by the listener's connection managers. */
export function* inlineRouteConfigurations(listener: Listener): Generator<[RouteConfiguration, string]> {
  for (const [hcm, path] of connectionManagers(listener, mayCarryRoutes)) {
    const spec = hcm.routeSpecifier;
    if (spec.case === "routeConfig") yield [spec.value, `${path}.route_config`];
    if (spec.case === "scopedRoutes" && spec.value.configSpecifier.case === "scopedRouteConfigurationsList") {
      for (const [k, scope] of spec.value.configSpecifier.value.scopedRouteConfigurations.entries()) {
        if (scope.routeConfiguration !== undefined) {
          yield [scope.routeConfiguration, `${path}.scoped_routes.scoped_route_configurations_list.scoped_route_configurations[${k}].route_configuration`];
        }
      }
    }
  }
}

/** A CIDR range as Envoy compares them: the network address (host bits cleared) and the length. */
function cidrKey(range: CidrRange): string {
  const bytes = parseIpv4(range.addressPrefix) ?? parseIpv6(range.addressPrefix);
  const len = range.prefixLen ?? 0;
  if (bytes === undefined) return `${range.addressPrefix}/${len}`;
  const kept = bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    return b & (0xff << (8 - bits)) & 0xff;
  });
  return `${kept.join(".")}/${len}`;
}

/** The match criteria of a chain as Envoy's matching tree sees them: one key per leaf. */
function leaves(match: FilterChainMatch | undefined): string[] | undefined {
  const m = match;
  const dimensions: string[][] = [
    [String(m?.destinationPort ?? 0)],
    m === undefined || m.prefixRanges.length === 0 ? [""] : m.prefixRanges.map(cidrKey),
    m === undefined || m.directSourcePrefixRanges.length === 0 ? [""] : m.directSourcePrefixRanges.map(cidrKey),
    m === undefined || m.serverNames.length === 0 ? [""] : m.serverNames.map((n) => n.toLowerCase()),
    [m?.transportProtocol ?? ""],
    m === undefined || m.applicationProtocols.length === 0 ? [""] : m.applicationProtocols,
    [String(m?.sourceType ?? 0)],
    m === undefined || m.sourcePrefixRanges.length === 0 ? [""] : m.sourcePrefixRanges.map(cidrKey),
    m === undefined || m.sourcePorts.length === 0 ? ["0"] : m.sourcePorts.map(String),
  ];
  if (dimensions.reduce((n, d) => n * d.length, 1) > MAX_LEAVES) return undefined;
  let out = [""];
  for (const d of dimensions) out = out.flatMap((prefix) => d.map((v) => `${prefix}\u0000${v}`));
  return out;
}

/**
 * Envoy refuses a listener where two filter chains (not the default one) claim the same
 * connections: identical matches, or matches that share a combination of their lists (a server
 * name both list, CIDR ranges equal once host bits are cleared). Listeners that use
 * `filter_chain_matcher` are not checked.
 */
export function checkFilterChainMatches(listener: Listener, report: Report): void {
  if (listener.filterChainMatcher !== undefined) return;
  const owner = new Map<string, number>();
  listener.filterChains.forEach((chain, i) => {
    const keys = leaves(chain.filterChainMatch) ?? [JSON.stringify(chain.filterChainMatch ?? {}, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))];
    const clashes = new Set<number>();
    for (const key of keys) {
      const first = owner.get(key);
      if (first !== undefined) clashes.add(first);
      else owner.set(key, i);
    }
    for (const first of clashes) {
      report({ field: `filter_chains[${i}].filter_chain_match`, message: `matches connections filter_chains[${first}] already matches (Envoy requires distinct matching rules)` });
    }
  });
}

/** Envoy refuses a TCP listener without any filter chain (UDP and API listeners need none). */
export function checkHasFilterChains(listener: Listener, report: Report): void {
  if (listener.apiListener !== undefined || listener.filterChains.length > 0 || listener.defaultFilterChain !== undefined) return;
  const address = listener.address?.address;
  if (address?.case === "socketAddress" && address.value.protocol === SocketAddress_Protocol.UDP) return;
  report({ field: "filter_chains", message: "a TCP listener needs at least one filter chain (or a default_filter_chain)" });
}

/** The socket addresses a listener binds: its address and additional addresses, as `proto address:port`. */
export function* boundAddresses(listener: Listener): Generator<[string, string]> {
  const all: [Address | undefined, string][] = [[listener.address, "address"]];
  for (const [i, extra] of listener.additionalAddresses.entries()) all.push([extra.address, `additional_addresses[${i}].address`]);
  for (const [address, field] of all) {
    const a = address?.address;
    if (a?.case === "socketAddress") {
      const port = a.value.portSpecifier.case === "portValue" ? a.value.portSpecifier.value : 0;
      if (port === 0) continue; // each gets its own ephemeral port
      yield [`${SocketAddress_Protocol[a.value.protocol] ?? a.value.protocol} ${a.value.address}:${port}`, field];
    } else if (a?.case === "pipe") yield [`pipe ${a.value.path}`, field];
  }
}
