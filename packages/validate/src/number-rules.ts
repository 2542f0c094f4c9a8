import { allOf, numberSource, suspectWhen, type Check, type RuleReader } from "./rule-reader.js";

/** The numeric rule kinds of validate.proto (FloatRules … SFixed64Rules). */
export type NumberKind =
  | "float"
  | "double"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "sint32"
  | "sint64"
  | "fixed32"
  | "fixed64"
  | "sfixed32"
  | "sfixed64";

const WIDE: ReadonlySet<NumberKind> = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/** 64-bit values arrive as bigint (or a decimal string with jstype JS_STRING); compare as bigint. */
function toBig(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  return BigInt(String(v));
}

type Num = number | bigint;
type Test = (v: Num) => boolean;

/**
 * The rules of a numeric field (also a numeric wrapper): const, lt/lte/gt/gte (including the
 * "outside range" reading Go gives an inverted pair), in, not_in, ignore_empty, in Go's order.
 */
export function compileNumberRules(kind: NumberKind, reader: RuleReader): Check | undefined {
  const ignoreEmpty = reader.get<boolean>("ignore_empty") === true;
  const wide = WIDE.has(kind);
  const norm: (v: unknown) => Num = wide ? toBig : kind === "float" ? (v) => Math.fround(v as number) : (v) => v as number;
  const show = (n: Num): string => String(n);
  const checks: Check[] = [];
  const plain = !wide && kind !== "float";
  const add = (rule: string, violated: Test, message: string, condition?: (v: string) => string | undefined): void => {
    const name = `${kind}.${rule}`;
    const check: Check = plain
      ? (value, walk) => {
          if (violated(value as number)) walk.report(name, message, value);
        }
      : (value, walk) => {
          if (violated(norm(value))) walk.report(name, message, value);
        };
    if (plain && condition !== undefined && condition("v") !== undefined) suspectWhen(check, (v) => condition(v) as string);
    checks.push(check);
  };
  // `v OP bound` as source, for 32-bit and double fields.
  const cmp = (op: string, bound: Num) => (v: string) => {
    const b = numberSource(Number(bound));
    return b === undefined ? undefined : `${v} ${op} ${b}`;
  };
  const either = (a: (v: string) => string | undefined, b: (v: string) => string | undefined, join: "||" | "&&") => (v: string) => {
    const x = a(v);
    const y = b(v);
    return x === undefined || y === undefined ? undefined : `(${x} ${join} ${y})`;
  };
  // The most common rules on 32-bit and double fields, without the indirection of `add`.
  const single = (rule: "lt" | "lte" | "gt" | "gte", bound: number, message: string): void => {
    const name = `${kind}.${rule}`;
    const op = { lt: ">=", lte: ">", gt: "<=", gte: "<" }[rule];
    const b = numberSource(bound);
    const push = (check: Check): void => {
      checks.push(b === undefined ? check : suspectWhen(check, (v) => `${v} ${op} ${b}`));
    };
    push(
      rule === "lt"
        ? (v, walk) => {
            if ((v as number) >= bound) walk.report(name, message, v);
          }
        : rule === "lte"
          ? (v, walk) => {
              if ((v as number) > bound) walk.report(name, message, v);
            }
          : rule === "gt"
            ? (v, walk) => {
                if ((v as number) <= bound) walk.report(name, message, v);
              }
            : (v, walk) => {
                if ((v as number) < bound) walk.report(name, message, v);
              },
    );
  };
  const constant = reader.get<Num>("const");
  if (constant !== undefined) add("const", (v) => v !== constant, `must equal ${show(constant)}`, cmp("!==", constant));

  const lt = reader.get<Num>("lt");
  const lte = reader.get<Num>("lte");
  const gt = reader.get<Num>("gt");
  const gte = reader.get<Num>("gte");
  if (lt !== undefined) {
    if (gt !== undefined) {
      if (lt > gt) add("range", (v) => v <= gt || v >= lt, `must be in the range (${show(gt)}, ${show(lt)})`, either(cmp("<=", gt), cmp(">=", lt), "||"));
      else add("range", (v) => v >= lt && v <= gt, `must be outside the range [${show(lt)}, ${show(gt)}]`, either(cmp(">=", lt), cmp("<=", gt), "&&"));
    } else if (gte !== undefined) {
      if (lt > gte) add("range", (v) => v < gte || v >= lt, `must be in the range [${show(gte)}, ${show(lt)})`, either(cmp("<", gte), cmp(">=", lt), "||"));
      else add("range", (v) => v >= lt && v < gte, `must be outside the range [${show(lt)}, ${show(gte)})`, either(cmp(">=", lt), cmp("<", gte), "&&"));
    } else if (plain) single("lt", lt as number, `must be less than ${show(lt)}`);
    else add("lt", (v) => v >= lt, `must be less than ${show(lt)}`);
  } else if (lte !== undefined) {
    if (gt !== undefined) {
      if (lte > gt) add("range", (v) => v <= gt || v > lte, `must be in the range (${show(gt)}, ${show(lte)}]`, either(cmp("<=", gt), cmp(">", lte), "||"));
      else add("range", (v) => v > lte && v <= gt, `must be outside the range (${show(lte)}, ${show(gt)}]`, either(cmp(">", lte), cmp("<=", gt), "&&"));
    } else if (gte !== undefined) {
      if (lte > gte) add("range", (v) => v < gte || v > lte, `must be in the range [${show(gte)}, ${show(lte)}]`, either(cmp("<", gte), cmp(">", lte), "||"));
      else add("range", (v) => v > lte && v < gte, `must be outside the range (${show(lte)}, ${show(gte)})`, either(cmp(">", lte), cmp("<", gte), "&&"));
    } else if (plain) single("lte", lte as number, `must be less than or equal to ${show(lte)}`);
    else add("lte", (v) => v > lte, `must be less than or equal to ${show(lte)}`);
  } else if (gt !== undefined) {
    if (plain) single("gt", gt as number, `must be greater than ${show(gt)}`);
    else add("gt", (v) => v <= gt, `must be greater than ${show(gt)}`);
  } else if (gte !== undefined) {
    if (plain) single("gte", gte as number, `must be greater than or equal to ${show(gte)}`);
    else add("gte", (v) => v < gte, `must be greater than or equal to ${show(gte)}`);
  }

  const within = reader.get<Num[]>("in") ?? [];
  const without = reader.get<Num[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set<Num>(within.map((x) => (wide ? toBig(x) : x)));
    add("in", (v) => !set.has(v), `must be one of [${within.map(show).join(", ")}]`);
  } else if (without.length > 0) {
    const set = new Set<Num>(without.map((x) => (wide ? toBig(x) : x)));
    add("not_in", (v) => set.has(v), `must not be one of [${without.map(show).join(", ")}]`);
  }
  const check = allOf(checks);
  if (check === undefined || !ignoreEmpty) return check;
  // ignore_empty: zero skips every other rule.
  const skipZero: Check = (value, walk) => {
    const v = norm(value);
    if (v !== 0 && v !== 0n) check(value, walk);
  };
  const inner = check.suspect;
  if (inner !== undefined) suspectWhen(skipZero, (v, ref) => `(${v} !== 0 && (${inner(v, ref)}))`);
  return skipZero;
}

/** BoolRules: const. */
export function compileBoolRules(reader: RuleReader): Check | undefined {
  const constant = reader.get<boolean>("const");
  if (constant === undefined) return undefined;
  const check: Check = (value, walk) => {
    if (value !== constant) walk.report("bool.const", `must be ${constant}`, value);
  };
  return suspectWhen(check, (v) => `${v} !== ${constant}`);
}
