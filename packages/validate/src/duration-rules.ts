import { allOf, type Check, type RuleReader } from "./rule-reader.js";

/**
 * A google.protobuf.Duration or Timestamp as read from a message (seconds a bigint) or from the
 * wire (seconds a number when it fits, to spare a bigint per value).
 */
export interface SecondsNanos {
  readonly seconds: bigint | number;
  readonly nanos: number;
}

const MAX_SECONDS = 315_576_000_000;

// Seconds as a number: exact within the valid range (far below 2^53), and ordered correctly
// beyond it, which is all the range check needs. Spares bigint arithmetic on every value.
const num = (seconds: bigint | number): number => (typeof seconds === "number" ? seconds : Number(seconds));

/** What Go's durationpb CheckValid refuses, or `undefined` for a valid duration. */
export function durationProblem(d: SecondsNanos): string | undefined {
  const seconds = num(d.seconds);
  const nanos = d.nanos;
  if (seconds < -MAX_SECONDS || seconds > MAX_SECONDS) return "seconds out of range (±10,000 years)";
  if (nanos <= -1e9 || nanos >= 1e9) return "nanos out of range";
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return "seconds and nanos have different signs";
  return undefined;
}

/**
 * Orders two durations (or timestamps) that passed their validity check: seconds, then nanos,
 * which is how Go's time.Duration orders them for any bound a rule can name.
 */
export function compare(a: SecondsNanos, b: SecondsNanos): number {
  const as = num(a.seconds);
  const bs = num(b.seconds);
  if (as !== bs) return as < bs ? -1 : 1;
  return a.nanos - b.nanos;
}

/** `1.5s`, `-2s`, `0.000000001s`: the protobuf JSON form. */
export function showDuration(d: SecondsNanos): string {
  if (d.nanos === 0) return `${d.seconds}s`;
  const negative = d.seconds < 0 || d.nanos < 0;
  const s = d.seconds < 0 ? -d.seconds : d.seconds;
  const n = Math.abs(d.nanos);
  return `${negative ? "-" : ""}${s}.${String(n).padStart(9, "0").replace(/0+$/, "")}s`;
}

const key = (d: SecondsNanos): string => `${d.seconds}:${d.nanos}`;

/**
 * DurationRules (besides `required`, which is about presence): const, lt/lte/gt/gte with Go's
 * range readings, in, not_in. A duration Go's CheckValid refuses is a violation by itself.
 */
export function compileDurationRules(reader: RuleReader): Check | undefined {
  const constant = reader.get<SecondsNanos>("const");
  const lt = reader.get<SecondsNanos>("lt");
  const lte = reader.get<SecondsNanos>("lte");
  const gt = reader.get<SecondsNanos>("gt");
  const gte = reader.get<SecondsNanos>("gte");
  const within = reader.get<SecondsNanos[]>("in") ?? [];
  const without = reader.get<SecondsNanos[]>("not_in") ?? [];
  const checks: Check[] = [];
  const add = (rule: string, violated: (d: SecondsNanos) => boolean, message: string): void => {
    const name = `duration.${rule}`;
    checks.push((value, walk) => {
      if (violated(value as SecondsNanos)) walk.report(name, message, showDuration(value as SecondsNanos));
    });
  };
  if (constant !== undefined) add("const", (d) => compare(d, constant) !== 0, `must equal ${showDuration(constant)}`);
  const c = compare;
  const s = showDuration;
  if (lt !== undefined) {
    if (gt !== undefined) {
      if (c(lt, gt) > 0) add("range", (d) => c(d, gt) <= 0 || c(d, lt) >= 0, `must be in the range (${s(gt)}, ${s(lt)})`);
      else add("range", (d) => c(d, lt) >= 0 && c(d, gt) <= 0, `must be outside the range [${s(lt)}, ${s(gt)}]`);
    } else if (gte !== undefined) {
      if (c(lt, gte) > 0) add("range", (d) => c(d, gte) < 0 || c(d, lt) >= 0, `must be in the range [${s(gte)}, ${s(lt)})`);
      else add("range", (d) => c(d, lt) >= 0 && c(d, gte) < 0, `must be outside the range [${s(lt)}, ${s(gte)})`);
    } else add("lt", (d) => c(d, lt) >= 0, `must be less than ${s(lt)}`);
  } else if (lte !== undefined) {
    if (gt !== undefined) {
      if (c(lte, gt) > 0) add("range", (d) => c(d, gt) <= 0 || c(d, lte) > 0, `must be in the range (${s(gt)}, ${s(lte)}]`);
      else add("range", (d) => c(d, lte) > 0 && c(d, gt) <= 0, `must be outside the range (${s(lte)}, ${s(gt)}]`);
    } else if (gte !== undefined) {
      if (c(lte, gte) > 0) add("range", (d) => c(d, gte) < 0 || c(d, lte) > 0, `must be in the range [${s(gte)}, ${s(lte)}]`);
      else add("range", (d) => c(d, lte) > 0 && c(d, gte) < 0, `must be outside the range (${s(lte)}, ${s(gte)})`);
    } else add("lte", (d) => c(d, lte) > 0, `must be at most ${s(lte)}`);
  } else if (gt !== undefined) add("gt", (d) => c(d, gt) <= 0, `must be greater than ${s(gt)}`);
  else if (gte !== undefined) add("gte", (d) => c(d, gte) < 0, `must be at least ${s(gte)}`);
  if (within.length > 0) {
    const set = new Set(within.map(key));
    add("in", (d) => !set.has(key(d)), `must be one of [${within.map(s).join(", ")}]`);
  } else if (without.length > 0) {
    const set = new Set(without.map(key));
    add("not_in", (d) => set.has(key(d)), `must not be one of [${without.map(s).join(", ")}]`);
  }
  const check = allOf(checks);
  if (check === undefined) return undefined;
  // Go checks the duration itself only when it has a rule to compare with.
  return (value, walk) => {
    const problem = durationProblem(value as SecondsNanos);
    if (problem !== undefined) walk.report("duration.valid", `is not a valid duration: ${problem}`, showDuration(value as SecondsNanos));
    else check(value, walk);
  };
}
