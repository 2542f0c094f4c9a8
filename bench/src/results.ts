// What the driver records per case and run (bench/results/*.json).

export interface RunResult {
	scenario: string;
	ok: boolean;
	error?: string;
	server?: string;
	figures: Record<string, number>;
	details?: Record<string, unknown>;
	/** 1-minute load average of the machine when the run started and ended (`os.loadavg()[0]`). */
	load?: { before: number; after: number };
}

export interface Summary {
	median: number;
	min: number;
	max: number;
}

/** ours+w2: our server with `--workers 2` (a primary and two node:cluster workers). */
export type ServerKey = "go" | "ours" | "ours+obs" | "ours+w2" | "before";

export interface CaseResult {
	name: string;
	scenario: string;
	serverArgs: string[];
	loadgenArgs: string[];
	servers: Partial<Record<ServerKey, { runs: RunResult[]; figures: Record<string, Summary> }>>;
	ratio: Record<string, number>;
	/** Our server against itself (and its worker group against Go), per figure, when both ran: `ours+obs/ours`, `ours/before`, `ours+w2/ours`, `ours+w2/go`. */
	selfRatio?: Record<string, Record<string, number>>;
}

export function summarize(values: number[]): Summary {
	const v = [...values].sort((a, b) => a - b);
	const mid = Math.floor(v.length / 2);
	const median = v.length % 2 ? (v[mid] ?? Number.NaN) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
	return { median, min: v[0] ?? Number.NaN, max: v[v.length - 1] ?? Number.NaN };
}

export function fmt(n: number | undefined): string {
	if (n === undefined || Number.isNaN(n)) return "-";
	const a = Math.abs(n);
	if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
	if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
	if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
	if (a >= 100) return n.toFixed(0);
	if (a >= 1) return n.toFixed(2);
	return n.toFixed(3);
}

/** Rows as an aligned text table, the first row being the header. */
export function textTable(rows: string[][]): string {
	const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
	const lines: string[] = [];
	for (const [n, r] of rows.entries()) {
		lines.push(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
		if (n === 0) lines.push(widths.map((w) => "-".repeat(w)).join("  "));
	}
	return `${lines.join("\n")}\n`;
}
