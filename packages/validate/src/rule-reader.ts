import { isFieldSet, type DescField, type Message } from "@bufbuild/protobuf";
import type { Walk } from "./walk.js";

/**
 * Writes a JavaScript condition, over the expression `v`, that holds whenever a check might
 * report (it may hold when the check would not; it never fails to hold when the check would).
 * Generated code tests it inline and calls the check only then. Values the condition needs
 * (a regular expression, a set) go through `ref`, never into the source.
 */
export type Suspect = (v: string, ref: (x: unknown) => string) => string;

/** A compiled rule: checks one value and reports what is wrong with it on the walk. */
export type Check = ((value: unknown, walk: Walk) => void) & { suspect?: Suspect };

/** Attaches an inline condition to a check (see {@link Suspect}). */
export function suspectWhen(check: Check, suspect: Suspect): Check {
  check.suspect = suspect;
  return check;
}

/** A number as JavaScript source, for bounds written into a condition. */
export function numberSource(n: number): string | undefined {
  return Number.isFinite(n) ? (Object.is(n, -0) ? "0" : String(n)) : undefined;
}

/**
 * Reads the rule fields of one `validate.*Rules` message and remembers which it read, so that a
 * rule set on a field that no code here interprets is found (see {@link unsupportedRules}) instead
 * of being silently ignored. Presence is what counts (`lt: 0` is a rule), as in the Go code.
 */
export class RuleReader {
  readonly #read = new Set<string>();
  readonly #fields: ReadonlyMap<string, DescField>;

  constructor(
    /** The rule kind, as used in violation names: `string`, `uint32`, `repeated`, … */
    readonly kind: string,
    readonly rules: Message,
    fields: readonly DescField[],
  ) {
    this.#fields = new Map(fields.map((f) => [f.name, f]));
  }

  has(name: string): boolean {
    this.#read.add(name);
    const field = this.#fields.get(name);
    return field !== undefined && isFieldSet(this.rules, field);
  }

  /** The value of a set rule field, or `undefined`. For a oneof member, its value when selected. */
  get<T>(name: string): T | undefined {
    this.#read.add(name);
    const field = this.#fields.get(name);
    if (field === undefined || !isFieldSet(this.rules, field)) return undefined;
    const record = this.rules as unknown as Record<string, unknown>;
    if (field.oneof !== undefined) {
      const selected = record[field.oneof.localName] as { case?: string; value?: unknown };
      return selected.case === field.localName ? (selected.value as T) : undefined;
    }
    return record[field.localName] as T;
  }

  /** Set rule fields that were never read: rules nothing here implements. */
  unread(): string[] {
    const out: string[] = [];
    for (const [name, field] of this.#fields) {
      if (!this.#read.has(name) && isFieldSet(this.rules, field)) out.push(`${this.kind}.${name}`);
    }
    return out;
  }
}

/** A check that reports, for every value, rules that are set but not implemented. */
export function unsupportedRules(names: readonly string[]): Check {
  const message = `rule${names.length === 1 ? "" : "s"} ${names.join(", ")} not implemented by @xdskit/validate`;
  return (_value, walk) => walk.report("rule.unsupported", message);
}

/** Runs checks in order; suspect when any of them is (when all can say). */
export function allOf(checks: readonly Check[]): Check | undefined {
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  const all: Check = (value, walk) => {
    for (const check of checks) check(value, walk);
  };
  const suspects = checks.map((c) => c.suspect);
  if (suspects.every((x): x is Suspect => x !== undefined)) all.suspect = (v, ref) => suspects.map((x) => `(${x(v, ref)})`).join(" || ");
  return all;
}
