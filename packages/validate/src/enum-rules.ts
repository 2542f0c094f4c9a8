import type { DescEnum } from "@bufbuild/protobuf";
import { allOf, type Check, type RuleReader } from "./rule-reader.js";

/** EnumRules: const, in / not_in, defined_only (the value is one the enum declares). */
export function compileEnumRules(desc: DescEnum, reader: RuleReader): Check | undefined {
  const checks: Check[] = [];
  const name = (n: number): string => desc.values.find((v) => v.number === n)?.name ?? String(n);
  const constant = reader.get<number>("const");
  if (constant !== undefined) {
    checks.push((value, walk) => {
      if (value !== constant) walk.report("enum.const", `must be ${name(constant)}`, value);
    });
  }
  const within = reader.get<number[]>("in") ?? [];
  const without = reader.get<number[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set(within);
    const message = `must be one of [${within.map(name).join(", ")}]`;
    checks.push((value, walk) => {
      if (!set.has(value as number)) walk.report("enum.in", message, value);
    });
  } else if (without.length > 0) {
    const set = new Set(without);
    const message = `must not be one of [${without.map(name).join(", ")}]`;
    checks.push((value, walk) => {
      if (set.has(value as number)) walk.report("enum.not_in", message, value);
    });
  }
  if (reader.get<boolean>("defined_only") === true) {
    const defined = new Set(desc.values.map((v) => v.number));
    const message = `must be one of the values ${desc.typeName} defines`;
    checks.push((value, walk) => {
      if (!defined.has(value as number)) walk.report("enum.defined_only", message, value);
    });
  }
  return allOf(checks);
}
