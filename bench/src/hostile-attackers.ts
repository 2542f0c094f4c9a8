// The attackers of the bench's "hostile" case (issue 16): N concurrent loops from another loopback
// peer (127.0.0.2), each cycling through every attack against the server under test until stopped
// (SIGTERM): 1,000 silent ADS streams on one connection, rapid resets, header floods, oversized
// headers, CONTINUATION floods, SETTINGS and PING floods, a zero window forever, and a slow HTTP/1.1
// client. Each attack is bounded in frames and cut after --attack-ms whatever the server does (a
// server that never closes the offender, as grpc-go on its defaults for most of them, is not waited
// for). Prints one JSON line with what the server did to each attack when stopped.
//
//   tsx src/hostile-attackers.ts --target 127.0.0.1:PORT [--attackers 10] [--attack-ms 3000]
import type * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
	ATTACKER,
	type AttackOutcome,
	HTTP2_ATTACKS,
	session,
	silentStream,
	slowHttp1,
	zeroWindow,
} from "../../tools/integration/src/support/hostile-clients.js";

const CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

function arg(name: string, fallback: string): string {
	const i = process.argv.indexOf(`--${name}`);
	return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}

const target = arg("target", "");
const port = Number(target.split(":").pop());
const url = `http://127.0.0.1:${port}`;
const attackers = Number(arg("attackers", "10"));
const attackMs = Number(arg("attack-ms", "3000"));
let stopping = false;

// node id "attacker": a bench server answers any node, so the zero-window stream gets a response to stall on.
const request = toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: "attacker" }, typeUrl: CLUSTER }));

async function silentStreams(signal: AbortSignal): Promise<AttackOutcome> {
	const client: http2.ClientHttp2Session = await session(url, { localAddress: ATTACKER });
	signal.addEventListener("abort", () => client.destroy(), { once: true });
	const started = performance.now();
	const streams = Array.from({ length: 1_000 }, () => silentStream(client));
	await Promise.race([Promise.all(streams.map((s) => s.status)), new Promise((resolve) => setTimeout(resolve, attackMs))]);
	client.destroy();
	return { goawayCode: undefined, goawayData: "", closedAfterMs: performance.now() - started };
}

const ATTACKS: Record<string, (signal: AbortSignal) => Promise<AttackOutcome>> = {
	"silent streams": silentStreams,
	...Object.fromEntries(Object.entries(HTTP2_ATTACKS).map(([name, attack]) => [name, (signal: AbortSignal) => attack(port, ATTACKER, signal)])),
	"zero window": (signal) => zeroWindow(url, ATTACKER, request, signal),
	"slow HTTP/1.1": (signal) => slowHttp1(port, ATTACKER, signal),
};

// Per attack: runs, and how many ended with the server closing the connection before the cut.
const tally: Record<string, { runs: number; closedByServer: number }> = {};

async function bounded(name: string, attack: (signal: AbortSignal) => Promise<AttackOutcome>): Promise<void> {
	const entry = tally[name] ?? { runs: 0, closedByServer: 0 };
	tally[name] = entry;
	entry.runs += 1;
	const abort = new AbortController();
	const timer = setTimeout(() => abort.abort(), attackMs);
	const started = performance.now();
	await attack(abort.signal).catch(() => undefined);
	clearTimeout(timer);
	// Ended before the cut: the server closed the offender (or, for silent streams, ended every one).
	if (!abort.signal.aborted && performance.now() - started < attackMs) entry.closedByServer += 1;
	abort.abort();
}

async function loop(): Promise<void> {
	while (!stopping) {
		for (const [name, attack] of Object.entries(ATTACKS)) {
			if (stopping) return;
			await bounded(name, attack);
		}
	}
}

process.once("SIGTERM", () => {
	stopping = true;
	process.stdout.write(`${JSON.stringify({ attackers, tally })}\n`);
	// Cut attacks still running (their sockets) by exiting.
	process.exit(0);
});
for (let i = 0; i < attackers; i += 1) void loop();
process.stdout.write("ATTACKING\n");
