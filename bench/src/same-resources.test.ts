import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { create, createRegistry, type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { marshalDeterministic } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { RouterSchema } from "@xdskit/envoy-api/envoy/extensions/filters/http/router/v3/router_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { type DiscoveryRequest, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { afterAll, beforeAll, expect, test } from "vitest";

// SCENARIOS.md: "A second implementation must produce the same resources (same field values;
// byte-identical modulo field/encoding order), the same versions". Resources are compared after a
// canonical re-encoding (field-number order, Any contents decoded and re-encoded too): Go's encoder
// writes HttpConnectionManager.rds (field 3, in a oneof) after http_filters (field 5), protobuf-es
// in field-number order, so listener bytes differ in order only. Sizes must be equal as they are.

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const peerBin = path.join(benchDir, ".bin", "gcp-peer");
const C = 12;
const K = 3;
const M = 4;

const CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
const LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
const RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

const schemas: Record<string, DescMessage> = {
	[CDS]: ClusterSchema,
	[EDS]: ClusterLoadAssignmentSchema,
	[LDS]: ListenerSchema,
	[RDS]: RouteConfigurationSchema,
};
const registry = createRegistry(HttpConnectionManagerSchema, RouterSchema);

/** size:hex of the canonical encoding. */
function canonical(typeUrl: string, bytes: Uint8Array): string {
	const schema = schemas[typeUrl];
	if (schema === undefined) throw new Error(`unexpected type ${typeUrl}`);
	const again = marshalDeterministic(schema, fromBinary(schema, bytes), { registry });
	return `${bytes.length}:${Buffer.from(again).toString("hex")}`;
}

interface Running {
	proc: ChildProcess;
	grpcPort: number;
	controlPort: number;
}

const running: Running[] = [];

// Asynchronous builds: a cold `go build` can block a synchronous vitest worker past its RPC timeout.
beforeAll(async () => {
	const run = promisify(execFile);
	await run("go", ["build", "-o", peerBin, "."], { cwd: path.join(benchDir, "peers/go-control-plane") });
	const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
	await run(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: benchDir });
}, 240_000);

afterAll(() => {
	for (const r of running) r.proc.kill("SIGKILL");
});

async function start(cmd: string, args: string[]): Promise<Running> {
	const all = [...args, "--scenario", "fanout", "--port", "0", "--control-port", "0", "--clusters", String(C), "--endpoints", String(K), "--listeners", String(M)];
	const proc = spawn(cmd, all, { cwd: benchDir, stdio: ["ignore", "pipe", "inherit"] });
	const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
	for await (const line of rl) {
		const m = /^READY (\d+) (\d+)$/.exec(line.trim());
		if (m) {
			const r = { proc, grpcPort: Number(m[1]), controlPort: Number(m[2]) };
			running.push(r);
			return r;
		}
	}
	throw new Error(`${cmd} exited before READY`);
}

const pad = (i: number) => String(i).padStart(4, "0");

/** One ADS stream asking for every type by name; returns type → {version, name → hex bytes}. */
async function fetchAll(server: Running): Promise<Record<string, { version: string; resources: Record<string, string> }>> {
	const client = createClient(AggregatedDiscoveryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }));
	const wanted: [string, string[]][] = [
		[CDS, []],
		[EDS, Array.from({ length: C }, (_, i) => `cluster-${pad(i)}`)],
		[LDS, []],
		[RDS, Array.from({ length: M }, (_, i) => `route-${pad(i)}`)],
	];
	const done = new AbortController();
	async function* requests(): AsyncGenerator<DiscoveryRequest> {
		for (const [i, [typeUrl, resourceNames]] of wanted.entries()) {
			yield create(DiscoveryRequestSchema, { typeUrl, resourceNames, ...(i === 0 ? { node: { id: "check", cluster: "bench" } } : {}) });
		}
		await once(done.signal, "abort");
	}
	const out: Record<string, { version: string; resources: Record<string, string> }> = {};
	for await (const response of client.streamAggregatedResources(requests(), { timeoutMs: 10_000 })) {
		const resources: Record<string, string> = {};
		for (const any of response.resources) {
			expect(any.typeUrl).toBe(response.typeUrl);
			const name = new TextDecoder().decode(any.value).match(/(cluster|listener|route)-\d{4}/)?.[0] ?? "?";
			resources[name] = canonical(response.typeUrl, any.value);
		}
		out[response.typeUrl] = { version: response.versionInfo, resources };
		if (Object.keys(out).length === wanted.length) break;
	}
	done.abort();
	return out;
}

async function post(server: Running, pathAndQuery: string): Promise<unknown> {
	const res = await fetch(`http://127.0.0.1:${server.controlPort}${pathAndQuery}`, { method: "POST" });
	expect(res.headers.get("content-type")).toContain("application/json");
	return res.json();
}

test("our bench server serves the same resources (same sizes, same canonical bytes) and versions as the go-control-plane peer", async () => {
	const go = await start(peerBin, []);
	const ours = await start(process.execPath, [path.join(benchDir, "dist/servers/xdskit/server.js")]);
	const states = async () => Promise.all([fetchAll(go), fetchAll(ours)]);

	let [g, o] = await states();
	expect(Object.keys(g[CDS]?.resources ?? {})).toHaveLength(C);
	expect(Object.keys(g[RDS]?.resources ?? {})).toHaveLength(M);
	expect(o).toEqual(g);

	for (const mutation of ["/step?fraction=0.25", "/churn?mode=spread&fraction=0.2", "/churn?mode=concentrated&fraction=0.1"]) {
		const [a, b] = await Promise.all([post(go, mutation), post(ours, mutation)]);
		expect(b, mutation).toEqual(a);
		[g, o] = await states();
		expect(o, mutation).toEqual(g);
	}
	expect(g[CDS]?.version).toBe("2");
	expect(g[EDS]?.version).toBe("4");

	// Requests not valid in the scenario are refused alike.
	const bad = await Promise.all([go, ours].map((s) => fetch(`http://127.0.0.1:${s.controlPort}/eds-update?cluster=1`, { method: "POST" })));
	expect(bad.map((r) => r.status)).toEqual([400, 400]);
}, 60_000);
