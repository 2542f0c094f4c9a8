// The bench server's command line (bench/SCENARIOS.md section 3), apart from the server so that
// the entry point (server.ts) can read it before the rest of the server loads.
export const SCENARIOS = ["fanout", "idle", "churn", "bytes", "reconnect"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Config {
	scenario: Scenario;
	port: number;
	controlPort: number;
	clusters: number;
	endpoints: number;
	listeners: number;
	initialVersion: number;
	observe: boolean;
	workers: number;
}

export class UsageError extends Error {}

export function parseConfig(argv: readonly string[]): Config {
	const cfg: Config = { scenario: "fanout", port: 18000, controlPort: 18001, clusters: 1000, endpoints: 5, listeners: 10, initialVersion: 1, observe: false, workers: 0 };
	const int = (flag: string, value: string | undefined): number => {
		const n = Number(value);
		if (value === undefined || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a non-negative integer, got ${value}`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		// Go's flag package accepts -flag, --flag and --flag=value; so do we.
		let arg = argv[i] ?? "";
		let value: string | undefined;
		const eq = arg.indexOf("=");
		if (eq >= 0) {
			value = arg.slice(eq + 1);
			arg = arg.slice(0, eq);
		}
		const next = (): string | undefined => value ?? argv[++i];
		switch (arg.replace(/^--?/, "")) {
			case "scenario": {
				const s = next();
				if (!SCENARIOS.includes(s as Scenario)) throw new UsageError(`unknown scenario ${s}`);
				cfg.scenario = s as Scenario;
				break;
			}
			case "port":
				cfg.port = int(arg, next());
				break;
			case "control-port":
				cfg.controlPort = int(arg, next());
				break;
			case "clusters":
				cfg.clusters = int(arg, next());
				break;
			case "endpoints":
				cfg.endpoints = int(arg, next());
				break;
			case "listeners":
				cfg.listeners = int(arg, next());
				break;
			case "initial-version":
				cfg.initialVersion = int(arg, next());
				break;
			case "observe":
				cfg.observe = true;
				break;
			case "workers":
				cfg.workers = int(arg, next());
				break;
			default:
				throw new UsageError(`unknown argument ${argv[i]}`);
		}
	}
	return cfg;
}

