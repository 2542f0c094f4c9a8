import { suspectWhen, type Check, type RuleReader } from "./rule-reader.js";

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
  // Each rule compares (seconds, nanos) as plain numbers, converted once per value.
  type Test = (s: number, n: number) => boolean;
  const rules: { rule: string; violated: Test; message: string }[] = [];
  const add = (rule: string, violated: Test, message: string): void => {
    rules.push({ rule: `duration.${rule}`, violated, message });
  };
  const at = (d: SecondsNanos): [number, number] => [num(d.seconds), d.nanos];
  // Sign of (s, n) - (bs, bn).
  const cmp = (s: number, n: number, b: [number, number]): number => (s !== b[0] ? (s < b[0] ? -1 : 1) : n - b[1]);
  const sh = showDuration;
  if (constant !== undefined) {
    const c = at(constant);
    add("const", (s, n) => cmp(s, n, c) !== 0, `must equal ${sh(constant)}`);
  }
  if (lt !== undefined) {
    const l = at(lt);
    if (gt !== undefined) {
      const g = at(gt);
      if (compare(lt, gt) > 0) add("range", (s, n) => cmp(s, n, g) <= 0 || cmp(s, n, l) >= 0, `must be in the range (${sh(gt)}, ${sh(lt)})`);
      else add("range", (s, n) => cmp(s, n, l) >= 0 && cmp(s, n, g) <= 0, `must be outside the range [${sh(lt)}, ${sh(gt)}]`);
    } else if (gte !== undefined) {
      const g = at(gte);
      if (compare(lt, gte) > 0) add("range", (s, n) => cmp(s, n, g) < 0 || cmp(s, n, l) >= 0, `must be in the range [${sh(gte)}, ${sh(lt)})`);
      else add("range", (s, n) => cmp(s, n, l) >= 0 && cmp(s, n, g) < 0, `must be outside the range [${sh(lt)}, ${sh(gte)})`);
    } else add("lt", (s, n) => cmp(s, n, l) >= 0, `must be less than ${sh(lt)}`);
  } else if (lte !== undefined) {
    const l = at(lte);
    if (gt !== undefined) {
      const g = at(gt);
      if (compare(lte, gt) > 0) add("range", (s, n) => cmp(s, n, g) <= 0 || cmp(s, n, l) > 0, `must be in the range (${sh(gt)}, ${sh(lte)}]`);
      else add("range", (s, n) => cmp(s, n, l) > 0 && cmp(s, n, g) <= 0, `must be outside the range (${sh(lte)}, ${sh(gt)}]`);
    } else if (gte !== undefined) {
      const g = at(gte);
      if (compare(lte, gte) > 0) add("range", (s, n) => cmp(s, n, g) < 0 || cmp(s, n, l) > 0, `must be in the range [${sh(gte)}, ${sh(lte)}]`);
      else add("range", (s, n) => cmp(s, n, l) > 0 && cmp(s, n, g) < 0, `must be outside the range (${sh(lte)}, ${sh(gte)})`);
    } else add("lte", (s, n) => cmp(s, n, l) > 0, `must be at most ${sh(lte)}`);
  } else if (gt !== undefined) {
    const g = at(gt);
    add("gt", (s, n) => cmp(s, n, g) <= 0, `must be greater than ${sh(gt)}`);
  } else if (gte !== undefined) {
    const g = at(gte);
    add("gte", (s, n) => cmp(s, n, g) < 0, `must be at least ${sh(gte)}`);
  }
  if (within.length > 0) {
    const set = new Set(within.map(key));
    add("in", (s, n) => !set.has(`${s}:${n}`), `must be one of [${within.map(sh).join(", ")}]`);
  } else if (without.length > 0) {
    const set = new Set(without.map(key));
    add("not_in", (s, n) => set.has(`${s}:${n}`), `must not be one of [${without.map(sh).join(", ")}]`);
  }
  if (rules.length === 0) return undefined;
  // Go checks the duration itself only when it has a rule to compare with.
  const check: Check = (value, walk) => {
    const d = value as SecondsNanos;
    const s = num(d.seconds);
    const n = d.nanos;
    if (s < -MAX_SECONDS || s > MAX_SECONDS || n <= -1e9 || n >= 1e9 || (s > 0 && n < 0) || (s < 0 && n > 0)) {
      walk.report("duration.valid", `is not a valid duration: ${durationProblem(d) ?? "out of range"}`, showDuration(d));
      return;
    }
    for (const r of rules) if (r.violated(s, n)) walk.report(r.rule, r.message, showDuration(d));
  };
  const fine = constant === undefined && within.length === 0 && without.length === 0 ? clearlyWithin(lt, lte, gt, gte) : undefined;
  return fine === undefined ? check : suspectWhen(check, (v) => fine(v));
}

/**
 * For bounds that form one range (no const, in or not_in): a condition, over a duration
 * expression, that holds only for valid durations inside it, judged on whole seconds with
 * nanos in [0, 1e9) (a value next to a bound or with negative nanos is left to the check).
 * Generated code calls the check only when the condition fails, sparing a call and the
 * seconds' conversion on every value of the usual `gt: 0s`, `gte: 0s`, `lte: …` rules.
 */
function clearlyWithin(lt: SecondsNanos | undefined, lte: SecondsNanos | undefined, gt: SecondsNanos | undefined, gte: SecondsNanos | undefined): ((v: string) => string) | undefined {
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  if (upper !== undefined && lower !== undefined && compare(upper, lower) <= 0) return undefined; // "outside the range"
  // Seconds strictly past a bound satisfy it whatever the nanos; at a `gte` bound with no nanos, nanos >= 0 do too.
  let min = 0;
  if (lower !== undefined) {
    const s = num(lower.seconds);
    min = Math.max(0, gt !== undefined || lower.nanos > 0 ? s + 1 : s);
  }
  const max = upper === undefined ? MAX_SECONDS : Math.min(MAX_SECONDS, num(upper.seconds) - 1);
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) return undefined;
  // Seconds are a bigint in a message object and a number when read from the wire.
  return (v) =>
    `!(${v}.nanos >= 0 && ${v}.nanos < 1000000000 && (typeof ${v}.seconds === "bigint" ? ${v}.seconds >= ${min}n && ${v}.seconds <= ${max}n : ${v}.seconds >= ${min} && ${v}.seconds <= ${max}))`;
}
