import { type DescEnum, ScalarType } from "@bufbuild/protobuf";

// Scalars as protobuf's C++ JSON parser (the one Envoy uses) accepts them, turned into the
// canonical protobuf JSON that @bufbuild/protobuf reads. Each function returns the canonical value,
// or a Refusal that says why the value is refused.

/** Returned instead of a value when the value is refused. */
export class Refusal {
  constructor(readonly reason: string) {}
}

/** A short, bounded rendering of a JSON value for messages. */
export function show(value: unknown): string {
  let s: string;
  if (value === undefined) s = "nothing";
  else if (Array.isArray(value)) s = "a list";
  else if (value !== null && typeof value === "object") s = "an object";
  else s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const decimalInteger = /^[+-]?[0-9]+$/;
// What strtod reads (decimal or hexadecimal, optional exponent), for integers written as "80.0" or "8e1".
const strtodNumber = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)$/;

function strtod(s: string): number | undefined {
  if (!strtodNumber.test(s)) return undefined;
  if (/^[+-]?0[xX]/.test(s)) {
    const negative = s.startsWith("-");
    const body = s.replace(/^[+-]?0[xX]/, "");
    const [mantissa = "", exponent] = body.split(/[pP]/);
    const [whole = "", fraction = ""] = mantissa.split(".");
    let value = Number.parseInt(whole || "0", 16);
    for (let i = 0; i < fraction.length; i++) value += Number.parseInt(fraction[i] ?? "0", 16) / 16 ** (i + 1);
    if (exponent !== undefined) value *= 2 ** Number(exponent);
    return negative ? -value : value;
  }
  return Number(s);
}

interface IntRange {
  readonly min: bigint;
  readonly max: bigint;
  readonly name: string;
  readonly wide: boolean;
}

interface FastRange extends IntRange {
  readonly minNumber: number;
  readonly maxNumber: number;
}

const range = (min: bigint, max: bigint, name: string, wide: boolean): FastRange => ({ min, max, name, wide, minNumber: Number(min), maxNumber: Number(max) });

const ranges: Partial<Record<ScalarType, FastRange>> = {
  [ScalarType.INT32]: range(-(2n ** 31n), 2n ** 31n - 1n, "an int32", false),
  [ScalarType.SINT32]: range(-(2n ** 31n), 2n ** 31n - 1n, "an int32", false),
  [ScalarType.SFIXED32]: range(-(2n ** 31n), 2n ** 31n - 1n, "an int32", false),
  [ScalarType.UINT32]: range(0n, 2n ** 32n - 1n, "a uint32", false),
  [ScalarType.FIXED32]: range(0n, 2n ** 32n - 1n, "a uint32", false),
  [ScalarType.INT64]: range(-(2n ** 63n), 2n ** 63n - 1n, "an int64", true),
  [ScalarType.SINT64]: range(-(2n ** 63n), 2n ** 63n - 1n, "an int64", true),
  [ScalarType.SFIXED64]: range(-(2n ** 63n), 2n ** 63n - 1n, "an int64", true),
  [ScalarType.UINT64]: range(0n, 2n ** 64n - 1n, "a uint64", true),
  [ScalarType.FIXED64]: range(0n, 2n ** 64n - 1n, "a uint64", true),
};

function integer(value: unknown, range: FastRange): string | number | Refusal {
  // The common case (a port, a count) without a BigInt.
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= range.minNumber && value <= range.maxNumber) {
    return range.wide ? String(value) : value;
  }
  let n: bigint | undefined;
  if (typeof value === "number") {
    if (Number.isInteger(value)) n = BigInt(value);
  } else if (typeof value === "string") {
    if (decimalInteger.test(value)) n = BigInt(value);
    else {
      // protobuf's parser falls back to strtod: "80.0", "8e1" and "0x50" are 80.
      const d = strtod(value);
      if (d !== undefined && Number.isInteger(d)) n = BigInt(d);
    }
  } else {
    return new Refusal(`expected ${range.name}, got ${show(value)}`);
  }
  if (n === undefined) return new Refusal(`expected ${range.name}, got ${show(value)}`);
  if (n < range.min || n > range.max) return new Refusal(`${show(value)} is out of range for ${range.name}`);
  return range.wide ? n.toString() : Number(n);
}

const base64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** A scalar field's value in canonical protobuf JSON, or a refusal. */
export function scalarValue(type: ScalarType, value: unknown): unknown {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === "string" ? value : new Refusal(`expected a string, got ${show(value)}`);
    case ScalarType.BOOL:
      if (typeof value === "boolean") return value;
      if (value === "true") return true;
      if (value === "false") return false;
      return new Refusal(`expected true or false, got ${show(value)}`);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      if (typeof value === "number") return value;
      if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
      if (typeof value === "string") {
        const d = strtod(value);
        if (d !== undefined && Number.isFinite(d)) return d;
      }
      return new Refusal(`expected a number, got ${show(value)}`);
    }
    case ScalarType.BYTES:
      if (typeof value === "string" && base64.test(value)) return value;
      return new Refusal(`expected base64 bytes, got ${show(value)}`);
    default: {
      const range = ranges[type];
      return range === undefined ? value : integer(value, range);
    }
  }
}

interface EnumNames {
  readonly exact: ReadonlySet<string>;
  readonly folded: ReadonlyMap<string, string>;
}

const enumNames = new WeakMap<DescEnum, EnumNames>();

function namesOf(desc: DescEnum): EnumNames {
  let names = enumNames.get(desc);
  if (names === undefined) {
    names = { exact: new Set(desc.values.map((v) => v.name)), folded: new Map(desc.values.map((v) => [v.name.toLowerCase(), v.name])) };
    enumNames.set(desc, names);
  }
  return names;
}

/** An enum value: its name in any letter case (as Envoy's loader allows), or its number. */
export function enumValue(desc: DescEnum, value: unknown): unknown {
  if (typeof value === "string") {
    const names = namesOf(desc);
    if (names.exact.has(value)) return value;
    const name = names.folded.get(value.toLowerCase());
    if (name !== undefined) return name;
    const list = desc.values.map((v) => v.name);
    const shown = list.length > 12 ? `${list.slice(0, 12).join(", ")}, …` : list.join(", ");
    return new Refusal(`unknown value ${show(value)} for enum ${desc.typeName} (one of ${shown})`);
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
  return new Refusal(`expected a name of enum ${desc.typeName}, got ${show(value)}`);
}

const durationText = /^-?[0-9]+(?:\.[0-9]{0,9})?s$/;

/** A Duration: `"1.5s"`, or `{seconds, nanos}` as Envoy also takes it, as canonical text. */
export function durationValue(value: unknown): unknown {
  if (typeof value === "string") {
    if (durationText.test(value)) return value;
    return new Refusal(`expected a duration in seconds ending in "s" (like "0.25s" or "5s"), got ${show(value)}`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const { seconds = 0, nanos = 0, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) return new Refusal(`unknown field ${JSON.stringify(extra[0])} in google.protobuf.Duration`);
    const s = integer(seconds, ranges[ScalarType.INT64] as FastRange);
    const n = integer(nanos, ranges[ScalarType.INT32] as FastRange);
    if (s instanceof Refusal) return s;
    if (n instanceof Refusal) return n;
    const secs = BigInt(s);
    const ns = Number(n);
    if (ns <= -1e9 || ns >= 1e9 || (secs > 0n && ns < 0) || (secs < 0n && ns > 0)) return new Refusal(`nanos ${ns} do not fit seconds ${secs}`);
    const negative = secs < 0n || ns < 0;
    const abs = (negative ? -secs : secs).toString();
    const frac = ns === 0 ? "" : `.${String(Math.abs(ns)).padStart(9, "0").replace(/0+$/, "")}`;
    return `${negative ? "-" : ""}${abs}${frac}s`;
  }
  return new Refusal(`expected a duration like "5s", got ${show(value)}`);
}
