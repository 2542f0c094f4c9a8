// The benchmark cases of bench/SCENARIOS.md and their sizes: the full run and the CI smoke.

export interface Case {
	name: string;
	scenario: string;
	serverArgs: string[];
	loadgenArgs: string[];
	keyFigures: string[];
	/** Attackers running against the server during the case (the hostile case). */
	attackers?: number;
	/** Servers run for this case besides those chosen with --servers (the smoke's worker-group runs). */
	extraServers?: readonly ServerKey[];
}

import type { ServerKey } from "./results.js";

function sizes(c: number, k: number, m: number): string[] {
	return ["--clusters", String(c), "--endpoints", String(k), "--listeners", String(m)];
}

const FAN_KEYS = ["convergeMs", "firstAckMs", "serverCpuS", "encodeCalls"];
const IDLE_KEYS = ["rssPerClientBytes", "heapPerClientBytes"];
const CHURN_KEYS = ["p50Ms", "p99Ms", "serverCpuPct", "updatesPerS"];
const BYTES_KEYS = ["sotwConcentratedBytesPerClient", "sotwSpreadBytesPerClient", "deltaConcentratedBytesPerClient", "deltaSpreadBytesPerClient"];
const RECONNECT_KEYS = ["recoverMs", "serverCpuS", "startMs", "acceptMs"];
// validateMs: ours = PGV rules through every Any; go = ValidateAll(), which does not look into Any.
// validateBestMs: the fastest pass of a run (the least disturbed on a shared machine).
// validateFreshCpuMs: the same rules (ours) / ValidateAll() (go), CPU per pass, on messages decoded
// anew before each pass (not timed), as a snapshot just built or received is; the other passes go
// over the same objects again.
// validateDeepMs: both look into every Any (go: ValidateAll on each Any's content, found by
// protoreflect). Ours reports snapshotMs (rules, snapshot checks, references) and
// firstValidateMs (the first pass, which compiles the rules) on top.
const VALIDATE_KEYS = ["validateMs", "validateBestMs", "validateCpuMs", "validateFreshCpuMs", "validateDeepMs", "marshalMs"];

function fanout(name: string, serverArgs: string[], clients: number, timeout = "180s", extraArgs: string[] = []): Case {
	return {
		name,
		scenario: "fanout",
		serverArgs,
		loadgenArgs: ["--clients", String(clients), "--fraction", "0.1", "--timeout", timeout, ...extraArgs],
		keyFigures: FAN_KEYS,
	};
}

function churn(name: string, serverArgs: string[], clients: number, clusters: number, subscribe: number, rate: number, duration: string): Case {
	return {
		name,
		scenario: "churn",
		serverArgs,
		loadgenArgs: ["--clients", String(clients), "--clusters", String(clusters), "--subscribe", String(subscribe), "--rate", String(rate), "--duration", duration, "--timeout", "600s"],
		keyFigures: CHURN_KEYS,
	};
}

/**
 * Every case of the full run, or of the smoke run (CI): the smoke runs each scenario at tiny
 * sizes, plus tiny versions of the scale cases (fanout-10000, churn-5000) under their own names,
 * so the figures the scale cases report (time to first client, updates applied per second) are
 * exercised on every CI run.
 */
export function cases(smoke: boolean): Case[] {
	if (smoke) {
		const s = sizes(50, 2, 3);
		return [
			{ ...fanout("fanout-20", s, 20), extraServers: ["ours+w2"] },
			{ name: "idle-20", scenario: "idle", serverArgs: s, loadgenArgs: ["--clients", "20", "--settle", "500ms"], keyFigures: IDLE_KEYS },
			{ ...churn("churn-20", s, 20, 50, 10, 20, "3s"), extraServers: ["ours+w2"] },
			{ name: "bytes-5", scenario: "bytes", serverArgs: sizes(10, 10, 0), loadgenArgs: ["--clients", "5", "--churn-fraction", "0.05"], keyFigures: BYTES_KEYS },
			{ name: "reconnect-20", scenario: "reconnect", serverArgs: s, loadgenArgs: ["--clients", "20"], keyFigures: RECONNECT_KEYS, extraServers: ["ours+w2"] },
			// Spread over three loopback source addresses, as fanout-8000 and fanout-10000 are.
			fanout("fanout-10000-tiny", s, 40, "180s", ["--clients-per-source", "16"]),
			churn("churn-5000-tiny", s, 50, 50, 10, 20, "3s"),
			{ name: "validate-42", scenario: "validate", serverArgs: ["--clusters", "20", "--listeners", "2"], loadgenArgs: ["--passes", "3", "--warmup", "1"], keyFigures: VALIDATE_KEYS },
		];
	}
	const fan = sizes(1000, 5, 10);
	const small = sizes(100, 5, 10);
	const eds = sizes(1000, 10, 10);
	return [
		fanout("fanout-1000", fan, 1000),
		fanout("fanout-5000", fan, 5000),
		fanout("fanout-8000", fan, 8000, "600s"),
		fanout("fanout-10000", fan, 10000, "600s"),
		{ name: "idle-1000", scenario: "idle", serverArgs: small, loadgenArgs: ["--clients", "1000"], keyFigures: IDLE_KEYS },
		{ name: "idle-5000", scenario: "idle", serverArgs: small, loadgenArgs: ["--clients", "5000"], keyFigures: IDLE_KEYS },
		churn("churn-1000", eds, 1000, 1000, 100, 100, "30s"),
		churn("churn-3000", eds, 3000, 1000, 100, 100, "30s"),
		churn("churn-5000", eds, 5000, 1000, 100, 100, "30s"),
		{ name: "bytes-10", scenario: "bytes", serverArgs: sizes(100, 100, 0), loadgenArgs: ["--clients", "10", "--churn-fraction", "0.01"], keyFigures: BYTES_KEYS },
		{ name: "reconnect-1000", scenario: "reconnect", serverArgs: small, loadgenArgs: ["--clients", "1000"], keyFigures: RECONNECT_KEYS },
		{ name: "hostile-1000", scenario: "fanout", serverArgs: fan, loadgenArgs: ["--clients", "1000", "--fraction", "0.1"], keyFigures: ["convergeMs", "serverCpuS"], attackers: 10 },
		{ name: "validate-2100", scenario: "validate", serverArgs: ["--clusters", "1000", "--listeners", "100"], loadgenArgs: ["--passes", "20", "--warmup", "60"], keyFigures: VALIDATE_KEYS },
	];
}

/** The value of a `--flag value` pair in a case's load generator arguments. */
export function loadgenArg(c: Pick<Case, "loadgenArgs">, flag: string): string | undefined {
	const at = c.loadgenArgs.indexOf(flag);
	return at < 0 ? undefined : c.loadgenArgs[at + 1];
}
