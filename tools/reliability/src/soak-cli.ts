// `pnpm soak`: runs the soak for SOAK_SECONDS (default 1800) and prints its summary; exits 1 on any violation.
// Run with --expose-gc (the package scripts do). SOAK_SEED replays a run.
import { formatSummary, runSoak } from "./soak.js";

const seconds = Number(process.env["SOAK_SECONDS"] ?? 1800);
const seed = process.env["SOAK_SEED"] === undefined ? undefined : Number(process.env["SOAK_SEED"]);
const summary = await runSoak({ seconds, ...(seed === undefined ? {} : { seed }), log: (line) => console.log(`[soak] ${line}`) });
console.log(formatSummary(summary));
process.exit(summary.violations.length === 0 ? 0 : 1);
