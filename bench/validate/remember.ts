// What rememberValid saves when Any contents are large: 100 listeners whose HttpConnectionManager
// carries its route configuration inline (20 virtual hosts of 5 routes, about 3 KB per Any),
// validated again and again as a control plane re-validates unchanged resources, with
// rememberValid off (every Any walked each pass) and on (the same byte arrays compared with
// their copies instead). Prints CPU µs per pass of each, and their ratio, as JSON.
//
//   node dist/validate/remember.js [--passes 150] [--warmup 50]

import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type Listener, ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { createValidator, type Validator } from "@xdskit/validate";

const LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";

function listenerWithInlineRoutes(i: number): Listener {
	const virtualHosts = Array.from({ length: 20 }, (_, h) => ({
		name: `vh-${i}-${h}`,
		domains: [`h${h}.l${i}.example.com`],
		routes: Array.from({ length: 5 }, (_, r) => ({
			match: { pathSpecifier: { case: "prefix" as const, value: `/r${r}` } },
			action: { case: "route" as const, value: { clusterSpecifier: { case: "cluster" as const, value: `c-${h}-${r}` }, timeout: { seconds: 5n } } },
		})),
	}));
	const hcm = create(HttpConnectionManagerSchema, {
		statPrefix: `in_${i}`,
		routeSpecifier: { case: "routeConfig", value: { name: `rc-${i}`, virtualHosts } },
		httpFilters: [{ name: "envoy.filters.http.router", configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) } }],
	});
	return create(ListenerSchema, {
		name: `l-${i}`,
		address: { address: { case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: 10000 + i } } } },
		filterChains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }],
	});
}

function flag(name: string, fallback: number): number {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const listeners = Array.from({ length: 100 }, (_, i) => listenerWithInlineRoutes(i));
const options = { resourceChecks: [], snapshotChecks: [], references: false } as const;
const walkAll = createValidator({ ...options, rememberValid: false });
const remembering = createValidator(options);
const pass = (v: Validator): void => {
	for (const l of listeners) if (!v.validateResource(LISTENER, l.name, l).ok) throw new Error(`${l.name} is not valid`);
};
const cpuMicros = (v: Validator, n: number): number => {
	const start = process.cpuUsage();
	for (let i = 0; i < n; i++) pass(v);
	const used = process.cpuUsage(start);
	return (used.user + used.system) / n;
};
const warmup = flag("warmup", 50);
for (let i = 0; i < warmup; i++) {
	pass(walkAll);
	pass(remembering);
}
// Alternating rounds, so both see the same machine; the medians of the rounds are reported.
const off: number[] = [];
const on: number[] = [];
for (let round = 0; round < flag("passes", 150) / 10; round++) {
	off.push(cpuMicros(walkAll, 10));
	on.push(cpuMicros(remembering, 10));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const firstHcm = listeners[0]?.filterChains[0]?.filters[0]?.configType;
const anyBytes = firstHcm?.case === "typedConfig" ? firstHcm.value.value.length : 0;
process.stdout.write(
	`${JSON.stringify({ listeners: listeners.length, hcmAnyBytes: anyBytes, walkAllCpuMicros: median(off), rememberCpuMicros: median(on), ratio: median(on.map((x, i) => x / (off[i] as number))) })}\n`,
);
