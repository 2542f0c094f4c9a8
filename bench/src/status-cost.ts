// What client status and metrics cost on the protocol path, without sockets: N in-process SotW ADS
// streams (fan-out: one snapshot change answers all, each ACKs) and N delta streams over a linear
// EDS cache (churn: one resource changes at a time, the streams subscribed to it get it and ACK),
// driven through the protocol packages' own ProtocolStream (encode included, as on the fast path).
// Variants, in the same process, rounds alternating between them:
//   ours       this checkout, no meter provider (the status is recorded, metrics are a no-op)
//   ours+obs   this checkout with an OpenTelemetry meter provider, collected and serialized as a
//              Prometheus scrape once per second of this variant's own CPU (so the cost lands in its
//              rounds, amortized as in a busy server scraped every second; Prometheus is usually set
//              to 15 s or more). Reading the client status (a CSDS fetch, the admin page) is a
//              reader's cost, not the server's at rest: measured apart, after the rounds
//   ours-twin  the same as ours, measured as one more variant: how far identical variants land apart
//   before     another checkout's build (--before <dir>: e.g. `git archive <commit> | tar -x -C <dir>`,
//              installed and built), such as the commit before client status existed
//
//   node --import tsx src/status-cost.ts [--before <dir>] [--streams 1000] [--rounds 30] [--only fanout|churn]
// Prints per-stream server CPU for fan-out and per-delivery CPU for churn: the median (min–max) of
// rounds, the median of per-round ratios (the variants of a round run back to back), and the mean
// over all rounds (what the variant costs, scrapes included); then what one scrape costs.
import { create } from "@bufbuild/protobuf";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

// Another checkout's build has the same public API (what is used here): typed as this one's.
interface Build {
	readonly name: string;
	readonly coreApi: typeof import("@xdskit/server-core");
	readonly snapshot: typeof import("@xdskit/cache-snapshot");
	readonly linear: typeof import("@xdskit/cache-linear");
	readonly sotw: typeof import("@xdskit/server-sotw");
	readonly delta: typeof import("@xdskit/server-delta");
	readonly cacheCore: typeof import("@xdskit/cache-core");
}

interface Schemas {
	readonly Cluster: typeof import("@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb").ClusterSchema;
	readonly Cla: typeof import("@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb").ClusterLoadAssignmentSchema;
	readonly Sotw: typeof import("@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb").DiscoveryRequestSchema;
	readonly Delta: typeof import("@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb").DeltaDiscoveryRequestSchema;
}

async function loadBuild(name: string, root: string | undefined): Promise<Build> {
	const load = (pkg: string) =>
		root === undefined ? import(`@xdskit/${pkg}`) : import(pathToFileURL(join(root, "packages", pkg, "dist", "index.js")).href);
	return {
		name,
		coreApi: await load("server-core"),
		snapshot: await load("cache-snapshot"),
		linear: await load("cache-linear"),
		sotw: await load("server-sotw"),
		delta: await load("server-delta"),
		cacheCore: await load("cache-core"),
	};
}

const CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

interface Variant {
	readonly name: string;
	/** CPU µs and streams answered for one snapshot change answered and ACKed by every stream. */
	readonly fanout: () => Promise<readonly [number, number]>;
	/** CPU µs and deliveries for 20 single-resource updates, each answered and ACKed by its subscribers. */
	readonly churn: () => Promise<readonly [number, number]>;
	/** Scrapes so far and their CPU µs: the metrics collected and serialized, the client status read. */
	readonly scrapes: () => { readonly count: number; readonly metricsUs: number };
	/** After the rounds: CPU µs of one scrape and of one status read, `n` times each (steady state, not in the rounds). */
	readonly measureScrapes: (n: number) => Promise<{ readonly metricsUs: number[]; readonly statusUs: number[] }>;
}

/** A stream driven like a client: every response is ACKed at once. */
function drive<R>(stream: { next(): unknown; receive(request: R): void | Promise<void> }, ack: (n: number) => R, delivered: () => void): void {
	let n = 0;
	(async () => {
		for (;;) {
			const chunks = await stream.next();
			if (chunks === undefined) return;
			n += 1;
			delivered();
			await stream.receive(ack(n));
		}
	})().catch(() => undefined);
}

async function variant(name: string, build: Build, streams: number, observe: boolean, schemas: Schemas): Promise<Variant> {
	const exporter = observe ? new PrometheusExporter({ preventServerStart: true }) : undefined;
	const serializer = new PrometheusSerializer();
	const context = build.coreApi.createServerContext(exporter === undefined ? {} : { meterProvider: new MeterProvider({ readers: [exporter] }) });
	let worked = 0;
	let scrapes = 0;
	const scrapeCpu = { metrics: 0 };
	// Once per second of this variant's own CPU (a busy server scraped every second: its CPU time is
	// its wall time; counting wall time here would scrape as often as the machine's load slows us).
	const observeAll = async (cpuUs: number) => {
		if (exporter === undefined) return;
		worked += cpuUs;
		if (worked < 1_000_000 * (scrapes + 1)) return;
		scrapes += 1;
		const t = process.cpuUsage();
		const { resourceMetrics } = await exporter.collect();
		serializer.serialize(resourceMetrics);
		scrapeCpu.metrics += cpuOf(process.cpuUsage(t));
	};
	const clusters = (v: number) =>
		Array.from({ length: 50 }, (_, i) => build.cacheCore.prepareResource(schemas.Cluster, create(schemas.Cluster, { name: `c-${i}`, connectTimeout: { seconds: BigInt(v) } })));
	const cla = (i: number, port: number) =>
		build.cacheCore.prepareResource(
			schemas.Cla,
			create(schemas.Cla, { clusterName: `e-${i}`, endpoints: [{ loadBalancingWeight: port, lbEndpoints: [{}] }] }),
		);

	// Fan-out: SotW ADS, CDS wildcard, one snapshot for every node.
	const snapshots = build.snapshot.createSnapshotCache({ ads: false, nodeHash: () => "all" });
	let version = 1;
	snapshots.setSnapshot("all", build.snapshot.createSnapshot(String(version), { [CLUSTER]: clusters(version) }));
	const sotw = build.sotw.createSotwProtocol(snapshots, context);
	let fanDelivered = 0;
	let churnDelivered = 0;
	for (let i = 0; i < streams; i++) {
		const stream = sotw.openStream({ typeUrl: "", requestHeader: new Headers(), peer: { address: `127.0.0.1:${i}` }, signal: new AbortController().signal, headroom: 5 });
		await stream.open();
		await stream.receive(create(schemas.Sotw, { node: { id: `n-${i}` }, typeUrl: CLUSTER, resourceNames: [] }));
		drive(stream, (n) => create(schemas.Sotw, { typeUrl: CLUSTER, versionInfo: String(version), responseNonce: n.toString(36) }), () => fanDelivered++);
	}
	const settle = async (done: () => boolean, what: string) => {
		const deadline = Date.now() + 60_000;
		while (!done()) {
			if (Date.now() > deadline) throw new Error(`${name}: ${what} did not happen within 60 s (fan-out ${fanDelivered}, churn ${churnDelivered})`);
			await new Promise((resolve) => setImmediate(resolve));
		}
	};
	await settle(() => fanDelivered >= streams, "the first fan-out");

	// Churn: delta EDS, each stream subscribed to 100 of 1000 names; one name changes at a time.
	const names = 1000;
	const ports = new Array<number>(names).fill(1);
	const linear = build.linear.createLinearCache({ typeUrl: ENDPOINT, initialResources: Array.from({ length: names }, (_, i) => cla(i, 1)) });
	const delta = build.delta.createDeltaProtocol(linear, context);
	const subscribers = new Array<number>(names).fill(0);
	for (let i = 0; i < streams; i++) {
		const stream = delta.openStream({ typeUrl: "", requestHeader: new Headers(), peer: undefined, signal: new AbortController().signal, headroom: 5 });
		await stream.open();
		const mine = Array.from({ length: 100 }, (_, k) => (i * 7 + k * 10) % names);
		for (const m of mine) subscribers[m] = (subscribers[m] ?? 0) + 1;
		await stream.receive(create(schemas.Delta, { node: { id: `d-${i}` }, typeUrl: ENDPOINT, resourceNamesSubscribe: mine.map((m) => `e-${m}`) }));
		drive(stream, (n) => create(schemas.Delta, { typeUrl: ENDPOINT, responseNonce: n.toString(36) }), () => churnDelivered++);
	}
	await settle(() => churnDelivered >= streams, "the first churn answers");
	let next = 0;

	return {
		name,
		scrapes: () => ({ count: scrapes, metricsUs: scrapeCpu.metrics }),
		async measureScrapes(n) {
			const out = { metricsUs: [] as number[], statusUs: [] as number[] };
			if (exporter === undefined) return out;
			for (let i = 0; i < n; i++) {
				let t = process.cpuUsage();
				const { resourceMetrics } = await exporter.collect();
				serializer.serialize(resourceMetrics);
				out.metricsUs.push(cpuOf(process.cpuUsage(t)));
				t = process.cpuUsage();
				context.clientStatus();
				out.statusUs.push(cpuOf(process.cpuUsage(t)));
			}
			return out;
		},
		async fanout() {
			const before = fanDelivered;
			const t = process.cpuUsage();
			version += 1;
			snapshots.setSnapshot("all", build.snapshot.createSnapshot(String(version), { [CLUSTER]: clusters(version) }));
			await settle(() => fanDelivered >= before + streams, "a fan-out");
			await observeAll(cpuOf(process.cpuUsage(t)));
			const used = process.cpuUsage(t);
			return [used.user + used.system, streams];
		},
		async churn() {
			const before = churnDelivered;
			let expected = 0;
			const t = process.cpuUsage();
			for (let u = 0; u < 20; u++) {
				const i = next;
				next = (next + 37) % names;
				ports[i] = (ports[i] ?? 1) + 1;
				expected += subscribers[i] ?? 0;
				linear.updateResource(cla(i, ports[i] ?? 1));
			}
			await settle(() => churnDelivered >= before + expected, "a churn round");
			await observeAll(cpuOf(process.cpuUsage(t)));
			const used = process.cpuUsage(t);
			return [used.user + used.system, expected];
		},
	};
}

const cpuOf = (u: NodeJS.CpuUsage): number => u.user + u.system;

function summary(values: number[]): { median: number; min: number; max: number } {
	const v = [...values].sort((a, b) => a - b);
	const mid = Math.floor(v.length / 2);
	return { median: v.length % 2 ? (v[mid] ?? 0) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2, min: v[0] ?? 0, max: v.at(-1) ?? 0 };
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			before: { type: "string" },
			streams: { type: "string", default: "1000" },
			rounds: { type: "string", default: "30" },
			only: { type: "string" },
		},
	});
	const streams = Number(values.streams);
	const rounds = Number(values.rounds);
	const figures = (["fanout", "churn"] as const).filter((f) => values.only === undefined || values.only === f);
	const { ClusterSchema } = await import("@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb");
	const { ClusterLoadAssignmentSchema } = await import("@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb");
	const { DiscoveryRequestSchema, DeltaDiscoveryRequestSchema } = await import("@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb");
	const schemas = { Cluster: ClusterSchema, Cla: ClusterLoadAssignmentSchema, Sotw: DiscoveryRequestSchema, Delta: DeltaDiscoveryRequestSchema };
	const ours = await loadBuild("ours", undefined);
	const variants: Variant[] = [];
	if (values.before !== undefined) variants.push(await variant("before", await loadBuild("before", values.before), streams, false, schemas));
	variants.push(await variant("ours", ours, streams, false, schemas));
	// The same as ours, measured as another variant: how far two identical variants land apart in
	// this run (heap placement, load), the resolution the other ratios have.
	variants.push(await variant("ours-twin", ours, streams, false, schemas));
	variants.push(await variant("ours+obs", ours, streams, true, schemas));
	// Per variant and figure: CPU µs per unit of each measured round (index = round), and totals.
	type Rounds = { perUnit: number[]; cpu: number; units: number };
	const empty = (): Rounds => ({ perUnit: [], cpu: 0, units: 0 });
	const results = new Map(variants.map((v) => [v.name, { fanout: empty(), churn: empty() }]));
	// Warm-up, then measured rounds. In a round every variant runs the figure back to back, in an order
	// that alternates, so the variants of a round share the machine's state: a round's ratios pair them.
	for (let round = -3; round < rounds; round++) {
		for (const figure of figures) {
			const order = round % 2 === 0 ? variants : [...variants].reverse();
			for (const v of order) {
				const [cpu, units] = await v[figure]();
				const r = results.get(v.name)?.[figure];
				if (round < 0 || r === undefined) continue;
				r.perUnit.push(cpu / Math.max(1, units));
				r.cpu += cpu;
				r.units += units;
			}
		}
	}
	const fmt = (s: { median: number; min: number; max: number }) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
	const ratio = (x: number) => `×${x.toFixed(3)}`;
	process.stdout.write(`${streams} streams, ${rounds} rounds per variant, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; server CPU in µs\n`);
	process.stdout.write("median (min–max) of rounds; paired: median of the per-round ratios to ours (and to before)\n");
	const mean = (r: Rounds | undefined) => (r === undefined ? 0 : r.cpu / Math.max(1, r.units));
	for (const figure of figures) {
		const base = results.get("ours")?.[figure];
		const before = results.get("before")?.[figure];
		const paired = (r: Rounds, to: Rounds) => summary(r.perUnit.map((x, i) => x / (to.perUnit[i] ?? Number.NaN))).median;
		for (const v of variants) {
			const r = results.get(v.name)?.[figure];
			if (r === undefined || base === undefined) continue;
			const s = summary(r.perUnit);
			const label = figure === "fanout" ? "per stream per change" : "per delivery";
			const vsBefore = before === undefined || v.name === "before" ? "" : `, ${ratio(paired(r, before))} of before`;
			process.stdout.write(
				`${figure.padEnd(7)} ${v.name.padEnd(9)} ${label}: median ${fmt(s)}; paired ${ratio(paired(r, base))} of ours${vsBefore}; mean ${mean(r).toFixed(2)} ${ratio(mean(r) / mean(base))}\n`,
			);
		}
	}
	for (const v of variants) {
		const { count, metricsUs } = v.scrapes();
		if (count === 0) continue;
		process.stdout.write(`${v.name}: ${count} scrapes in the rounds, mean CPU ${(metricsUs / count / 1000).toFixed(2)} ms to collect and serialize the metrics\n`);
		const steady = await v.measureScrapes(20);
		const ms = (values: number[]) => fmt(summary(values.map((us) => us / 1000)));
		process.stdout.write(
			`${v.name}: then 20 more, median (min–max) ms: metrics ${ms(steady.metricsUs)}; a client status read (CSDS, the admin page) of the ${2 * streams} streams ${ms(steady.statusUs)}\n`,
		);
	}
	process.exit(0);
}

main().catch((error: unknown) => {
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exit(1);
});
