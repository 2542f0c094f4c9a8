import { compare, showDuration, type SecondsNanos } from "./duration-rules.js";
import { allOf, type Check, type RuleReader } from "./rule-reader.js";

const MIN_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

/** What Go's timestamppb CheckValid refuses, or `undefined`. */
export function timestampProblem(t: SecondsNanos): string | undefined {
  const seconds = Number(t.seconds);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return "seconds out of range (years 1 to 9999)";
  if (t.nanos < 0 || t.nanos >= 1e9) return "nanos out of range";
  return undefined;
}

function show(t: SecondsNanos): string {
  const ms = Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
  if (!Number.isSafeInteger(ms)) return `${t.seconds}s`;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${t.seconds}s` : d.toISOString();
}

function now(): SecondsNanos {
  const ms = Date.now();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

function add(t: SecondsNanos, d: SecondsNanos, sign: 1 | -1): SecondsNanos {
  let seconds = BigInt(t.seconds) + BigInt(sign) * BigInt(d.seconds);
  let nanos = t.nanos + sign * d.nanos;
  if (nanos >= 1e9) {
    seconds += 1n;
    nanos -= 1e9;
  } else if (nanos < 0) {
    seconds -= 1n;
    nanos += 1e9;
  }
  return { seconds, nanos };
}

/** TimestampRules (besides `required`): const, lt/lte/gt/gte, lt_now, gt_now, within, in Go's way. */
export function compileTimestampRules(reader: RuleReader): Check | undefined {
  const constant = reader.get<SecondsNanos>("const");
  const lt = reader.get<SecondsNanos>("lt");
  const lte = reader.get<SecondsNanos>("lte");
  const gt = reader.get<SecondsNanos>("gt");
  const gte = reader.get<SecondsNanos>("gte");
  const ltNow = reader.get<boolean>("lt_now") === true;
  const gtNow = reader.get<boolean>("gt_now") === true;
  const within = reader.get<SecondsNanos>("within");
  const checks: Check[] = [];
  const rule = (name: string, violated: (t: SecondsNanos) => boolean, message: string | (() => string)): void => {
    checks.push((value, walk) => {
      const t = value as SecondsNanos;
      if (violated(t)) walk.report(`timestamp.${name}`, typeof message === "string" ? message : message(), show(t));
    });
  };
  const c = compare;
  if (constant !== undefined) rule("const", (t) => c(t, constant) !== 0, `must equal ${show(constant)}`);
  if (lt !== undefined) {
    if (gt !== undefined) {
      if (c(lt, gt) > 0) rule("range", (t) => c(t, gt) <= 0 || c(t, lt) >= 0, `must be in the range (${show(gt)}, ${show(lt)})`);
      else rule("range", (t) => c(t, lt) >= 0 && c(t, gt) <= 0, `must be outside the range [${show(lt)}, ${show(gt)}]`);
    } else if (gte !== undefined) {
      if (c(lt, gte) > 0) rule("range", (t) => c(t, gte) < 0 || c(t, lt) >= 0, `must be in the range [${show(gte)}, ${show(lt)})`);
      else rule("range", (t) => c(t, lt) >= 0 && c(t, gte) < 0, `must be outside the range [${show(lt)}, ${show(gte)})`);
    } else rule("lt", (t) => c(t, lt) >= 0, `must be before ${show(lt)}`);
  } else if (lte !== undefined) {
    if (gt !== undefined) {
      if (c(lte, gt) > 0) rule("range", (t) => c(t, gt) <= 0 || c(t, lte) > 0, `must be in the range (${show(gt)}, ${show(lte)}]`);
      else rule("range", (t) => c(t, lte) > 0 && c(t, gt) <= 0, `must be outside the range (${show(lte)}, ${show(gt)}]`);
    } else if (gte !== undefined) {
      if (c(lte, gte) > 0) rule("range", (t) => c(t, gte) < 0 || c(t, lte) > 0, `must be in the range [${show(gte)}, ${show(lte)}]`);
      else rule("range", (t) => c(t, lte) > 0 && c(t, gte) < 0, `must be outside the range (${show(lte)}, ${show(gte)})`);
    } else rule("lte", (t) => c(t, lte) > 0, `must not be after ${show(lte)}`);
  } else if (gt !== undefined) rule("gt", (t) => c(t, gt) <= 0, `must be after ${show(gt)}`);
  else if (gte !== undefined) rule("gte", (t) => c(t, gte) < 0, `must not be before ${show(gte)}`);
  else if (ltNow) {
    if (within !== undefined) rule("lt_now", (t) => c(t, now()) >= 0 || c(t, add(now(), within, -1)) < 0, `must be in the past, within ${showDuration(within)}`);
    else rule("lt_now", (t) => c(t, now()) >= 0, "must be in the past");
  } else if (gtNow) {
    if (within !== undefined) rule("gt_now", (t) => c(t, now()) <= 0 || c(t, add(now(), within, 1)) > 0, `must be in the future, within ${showDuration(within)}`);
    else rule("gt_now", (t) => c(t, now()) <= 0, "must be in the future");
  } else if (within !== undefined) {
    rule("within", (t) => c(t, add(now(), within, 1)) >= 0 || c(t, add(now(), within, -1)) <= 0, `must be within ${showDuration(within)} of now`);
  }
  const check = allOf(checks);
  if (check === undefined) return undefined;
  return (value, walk) => {
    const problem = timestampProblem(value as SecondsNanos);
    if (problem !== undefined) walk.report("timestamp.valid", `is not a valid timestamp: ${problem}`, String((value as SecondsNanos).seconds));
    else check(value, walk);
  };
}
