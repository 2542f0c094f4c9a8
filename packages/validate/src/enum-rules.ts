import type { DescEnum } from "@bufbuild/protobuf";
import { allOf, suspectWhen, type Check, type RuleReader } from "./rule-reader.js";

/** EnumRules: const, in / not_in, defined_only (the value is one the enum declares). */
export function compileEnumRules(desc: DescEnum, reader: RuleReader): Check | undefined {
  const checks: Check[] = [];
  const name = (n: number): string => desc.values.find((v) => v.number === n)?.name ?? String(n);
  const constant = reader.get<number>("const");
  if (constant !== undefined) {
    const check: Check = (value, walk) => {
      if (value !== constant) walk.report("enum.const", `must be ${name(constant)}`, value);
    };
    checks.push(suspectWhen(check, (v) => `${v} !== ${constant}`));
  }
  const within = reader.get<number[]>("in") ?? [];
  const without = reader.get<number[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set(within);
    const message = `must be one of [${within.map(name).join(", ")}]`;
    const check: Check = (value, walk) => {
      if (!set.has(value as number)) walk.report("enum.in", message, value);
    };
    checks.push(suspectWhen(check, (v, ref) => `!${ref(set)}.has(${v})`));
  } else if (without.length > 0) {
    const set = new Set(without);
    const message = `must not be one of [${without.map(name).join(", ")}]`;
    const check: Check = (value, walk) => {
      if (set.has(value as number)) walk.report("enum.not_in", message, value);
    };
    checks.push(suspectWhen(check, (v, ref) => `${ref(set)}.has(${v})`));
  }
  if (reader.get<boolean>("defined_only") === true) {
    const defined = new Set(desc.values.map((v) => v.number));
    const message = `must be one of the values ${desc.typeName} defines`;
    const check: Check = (value, walk) => {
      if (!defined.has(value as number)) walk.report("enum.defined_only", message, value);
    };
    // Most enums number their values 0..n-1: a range test then says it all.
    const n = defined.size;
    const dense = [...defined].every((x) => Number.isInteger(x) && x >= 0 && x < n);
    checks.push(suspectWhen(check, (v, ref) => (dense ? `!(${v} >= 0 && ${v} < ${n} && (${v} | 0) === ${v})` : `!${ref(defined)}.has(${v})`)));
  }
  return allOf(checks);
}
