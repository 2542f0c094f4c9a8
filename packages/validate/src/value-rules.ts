import { ScalarType, type DescEnum, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import {
  AnyRulesSchema,
  BoolRulesSchema,
  BytesRulesSchema,
  DoubleRulesSchema,
  DurationRulesSchema,
  EnumRulesSchema,
  Fixed32RulesSchema,
  Fixed64RulesSchema,
  FloatRulesSchema,
  Int32RulesSchema,
  Int64RulesSchema,
  MapRulesSchema,
  MessageRulesSchema,
  RepeatedRulesSchema,
  SFixed32RulesSchema,
  SFixed64RulesSchema,
  SInt32RulesSchema,
  SInt64RulesSchema,
  StringRulesSchema,
  TimestampRulesSchema,
  UInt32RulesSchema,
  UInt64RulesSchema,
  type FieldRules,
} from "@xdskit/envoy-api/validate/validate_pb";
import { compileBytesRules } from "./bytes-rules.js";
import { compileDurationRules } from "./duration-rules.js";
import { compileEnumRules } from "./enum-rules.js";
import { ANY, MESSAGE, SCALAR, TIME, WRAPPER, type Requirement, type ValuePlan } from "./message-plan.js";
import { compileBoolRules, compileNumberRules, type NumberKind } from "./number-rules.js";
import { allOf, RuleReader, suspectWhen, type Check } from "./rule-reader.js";
import { compileStringRules } from "./string-rules.js";
import { compileTimestampRules } from "./timestamp-rules.js";

/** Records rules nothing here implements; returns a check that reports them on every value. */
export type Unsupported = (where: string, names: readonly string[]) => Check;

/** The type of a value: a scalar, an enum, or a message. */
export type ValueType = { readonly scalar: ScalarType } | { readonly enumDesc: DescEnum } | { readonly message: DescMessage };

const WRAPPERS: ReadonlyMap<string, ScalarType> = new Map([
  ["google.protobuf.DoubleValue", ScalarType.DOUBLE],
  ["google.protobuf.FloatValue", ScalarType.FLOAT],
  ["google.protobuf.Int64Value", ScalarType.INT64],
  ["google.protobuf.UInt64Value", ScalarType.UINT64],
  ["google.protobuf.Int32Value", ScalarType.INT32],
  ["google.protobuf.UInt32Value", ScalarType.UINT32],
  ["google.protobuf.BoolValue", ScalarType.BOOL],
  ["google.protobuf.StringValue", ScalarType.STRING],
  ["google.protobuf.BytesValue", ScalarType.BYTES],
]);
const DURATION = "google.protobuf.Duration";
const TIMESTAMP = "google.protobuf.Timestamp";
export const ANY_TYPE_NAME = "google.protobuf.Any";

// The rule kind each scalar type takes (FieldRules.type case), and the schema of those rules.
const NUMERIC: ReadonlyMap<ScalarType, NumberKind> = new Map([
  [ScalarType.FLOAT, "float"],
  [ScalarType.DOUBLE, "double"],
  [ScalarType.INT32, "int32"],
  [ScalarType.INT64, "int64"],
  [ScalarType.UINT32, "uint32"],
  [ScalarType.UINT64, "uint64"],
  [ScalarType.SINT32, "sint32"],
  [ScalarType.SINT64, "sint64"],
  [ScalarType.FIXED32, "fixed32"],
  [ScalarType.FIXED64, "fixed64"],
  [ScalarType.SFIXED32, "sfixed32"],
  [ScalarType.SFIXED64, "sfixed64"],
] as const);
const RULE_SCHEMAS: Readonly<Record<string, DescMessage>> = {
  float: FloatRulesSchema,
  double: DoubleRulesSchema,
  int32: Int32RulesSchema,
  int64: Int64RulesSchema,
  uint32: UInt32RulesSchema,
  uint64: UInt64RulesSchema,
  sint32: SInt32RulesSchema,
  sint64: SInt64RulesSchema,
  fixed32: Fixed32RulesSchema,
  fixed64: Fixed64RulesSchema,
  sfixed32: SFixed32RulesSchema,
  sfixed64: SFixed64RulesSchema,
  bool: BoolRulesSchema,
  string: StringRulesSchema,
  bytes: BytesRulesSchema,
  enum: EnumRulesSchema,
  repeated: RepeatedRulesSchema,
  map: MapRulesSchema,
  any: AnyRulesSchema,
  duration: DurationRulesSchema,
  timestamp: TimestampRulesSchema,
};


/** min_items/max_items (or min_pairs/max_pairs), as one check on the count. */
export function countCheck(reader: RuleReader, what: "items" | "pairs", one: string): Check | undefined {
  const min = reader.get<bigint>(`min_${what}`);
  const max = reader.get<bigint>(`max_${what}`);
  const rule = `${reader.kind}.`;
  const plural = (n: bigint): string => `${n} ${n === 1n ? one : `${one}s`}`;
  if (min !== undefined && min > 0n) {
    const lo = Number(min);
    if (max !== undefined && max === min) {
      const exact: Check = (value, walk) => {
        if (value !== lo) walk.report(`${rule}min_${what}`, `must have exactly ${plural(min)}`, value);
      };
      return suspectWhen(exact, (v) => `${v} !== ${lo}`);
    }
    if (max !== undefined) {
      const hi = Number(max);
      const between: Check = (value, walk) => {
        const n = value as number;
        if (n < lo) walk.report(`${rule}min_${what}`, `must have at least ${plural(min)}`, n);
        else if (n > hi) walk.report(`${rule}max_${what}`, `must have at most ${plural(max)}`, n);
      };
      return suspectWhen(between, (v) => `(${v} < ${lo} || ${v} > ${hi})`);
    }
    const atLeast: Check = (value, walk) => {
      if ((value as number) < lo) walk.report(`${rule}min_${what}`, `must have at least ${plural(min)}`, value);
    };
    return suspectWhen(atLeast, (v) => `${v} < ${lo}`);
  }
  // Go treats min 0 as unset; only max then applies.
  if (max !== undefined) {
    const hi = Number(max);
    const atMost: Check = (value, walk) => {
      if ((value as number) > hi) walk.report(`${rule}max_${what}`, `must have at most ${plural(max)}`, value);
    };
    return suspectWhen(atMost, (v) => `${v} > ${hi}`);
  }
  return undefined;
}

/** MessageRules: required and skip. */
export function messageRulesOf(fr: FieldRules | undefined): MessageRulesRead {
  const mr = fr?.message;
  if (mr === undefined) return { required: false, skip: false };
  const reader = new RuleReader("message", mr, MessageRulesSchema.fields);
  return { required: reader.get<boolean>("required") === true, skip: reader.get<boolean>("skip") === true };
}

/**
 * Go's resolveRules: what the rules of a value (a singular field, a list item, a map key or
 * value) mean given its type. Rules it cannot interpret go to `unsupported`.
 */
export function valuePlan(where: string, type: ValueType, fr: FieldRules | undefined, unsupported: Unsupported): ValuePlan {
  const typeCase = fr?.type.case;
  const mr = messageRulesOf(fr);
  const plain = (shape: ValuePlan["shape"], extra: Partial<ValuePlan> = {}): ValuePlan => ({
    shape,
    scalar: undefined,
    isEnum: false,
    timestamp: false,
    check: undefined,
    required: undefined,
    skip: false,
    plan: null,
    zero: undefined,
    lastUrl: undefined,
    lastTarget: null,
    ...extra,
  });
  const compile = (kind: string, rules: Message, build: (reader: RuleReader) => Check | undefined): Check | undefined => {
    const schema = RULE_SCHEMAS[kind];
    if (schema === undefined) return unsupported(where, [`${kind} rules`]);
    const reader = new RuleReader(kind, rules, schema.fields);
    const check = build(reader);
    const unread = reader.unread();
    if (unread.length === 0) return check;
    const warn = unsupported(where, unread);
    return allOf([warn, ...(check === undefined ? [] : [check])]);
  };
  if (typeCase === "repeated" || typeCase === "map") {
    return plain(SCALAR, { check: unsupported(where, [`${typeCase} rules on a singular value`]) });
  }
  if ("message" in type) {
    const name = type.message.typeName;
    const wrapped = WRAPPERS.get(name);
    if (wrapped !== undefined) {
      const required: Requirement | undefined = mr.required ? { rule: "message.required", message: "is required" } : undefined;
      if (typeCase === undefined) return plain(WRAPPER, { scalar: wrapped, required, zero: zeroOf(wrapped) });
      return plain(WRAPPER, { scalar: wrapped, required, zero: zeroOf(wrapped), check: scalarCheck(unsupported, where, wrapped, typeCase, fr?.type.value as Message, compile) });
    }
    if (name === DURATION || name === TIMESTAMP) {
      const timestamp = name === TIMESTAMP;
      const kind = timestamp ? "timestamp" : "duration";
      if (typeCase === undefined) {
        return plain(TIME, { timestamp, required: mr.required ? { rule: "message.required", message: "is required" } : undefined, skip: mr.skip });
      }
      if (typeCase !== kind) return plain(TIME, { timestamp, check: unsupported(where, [`${typeCase} rules on a ${name}`]) });
      const rules = fr?.type.value as Message;
      let requiredRule = false;
      const check = compile(kind, rules, (reader) => {
        requiredRule = reader.get<boolean>("required") === true;
        return timestamp ? compileTimestampRules(reader) : compileDurationRules(reader);
      });
      return plain(TIME, { timestamp, check, required: requiredRule ? { rule: `${kind}.required`, message: "is required" } : undefined });
    }
    if (name === ANY_TYPE_NAME) {
      if (typeCase === undefined) return plain(ANY, { required: mr.required ? { rule: "message.required", message: "is required" } : undefined, skip: mr.skip });
      if (typeCase !== "any") return plain(ANY, { check: unsupported(where, [`${typeCase} rules on an Any`]) });
      let requiredRule = false;
      const check = compile("any", fr?.type.value as Message, (reader) => {
        requiredRule = reader.get<boolean>("required") === true;
        return compileAnyRules(reader);
      });
      return plain(ANY, { check, required: requiredRule ? { rule: "any.required", message: "is required" } : undefined });
    }
    if (typeCase === "any") {
      // `any` rules on a message that is not an Any (ExtensionConfigSource.config_source):
      // protoc-gen-validate checks only `required` and never looks inside. We check
      // `required` the same way and, going further, validate the message itself.
      let requiredRule = false;
      compile("any", fr?.type.value as Message, (reader) => {
        requiredRule = reader.get<boolean>("required") === true;
        const inList = reader.get<string[]>("in") ?? [];
        const notIn = reader.get<string[]>("not_in") ?? [];
        if (inList.length > 0 || notIn.length > 0) unsupported(where, ["any.in / any.not_in on a message that is not an Any"]);
        return undefined;
      });
      return plain(MESSAGE, { required: requiredRule ? { rule: "any.required", message: "is required" } : undefined, plan: null });
    }
    if (typeCase !== undefined) return plain(MESSAGE, { check: unsupported(where, [`${typeCase} rules on a message`]) });
    return plain(MESSAGE, { required: mr.required ? { rule: "message.required", message: "is required" } : undefined, skip: mr.skip, plan: null });
  }
  if ("enumDesc" in type) {
    if (typeCase === undefined) return plain(SCALAR, { scalar: ScalarType.INT32, isEnum: true, zero: 0 });
    if (typeCase !== "enum") return plain(SCALAR, { scalar: ScalarType.INT32, isEnum: true, zero: 0, check: unsupported(where, [`${typeCase} rules on an enum`]) });
    const enumDesc = type.enumDesc;
    return plain(SCALAR, {
      scalar: ScalarType.INT32,
      isEnum: true,
      zero: 0,
      check: compile("enum", fr?.type.value as Message, (reader) => compileEnumRules(enumDesc, reader)),
    });
  }
  if (typeCase === undefined) return plain(SCALAR, { scalar: type.scalar, zero: zeroOf(type.scalar) });
  return plain(SCALAR, { scalar: type.scalar, zero: zeroOf(type.scalar), check: scalarCheck(unsupported, where, type.scalar, typeCase, fr?.type.value as Message, compile) });
}

function scalarCheck(
  unsupported: Unsupported,
  where: string,
  scalar: ScalarType,
  typeCase: string,
  rules: Message,
  compile: (kind: string, rules: Message, build: (reader: RuleReader) => Check | undefined) => Check | undefined,
): Check | undefined {
  const numeric = NUMERIC.get(scalar);
  if (numeric !== undefined && typeCase === numeric) return compile(numeric, rules, (reader) => compileNumberRules(numeric, reader));
  if (scalar === ScalarType.STRING && typeCase === "string") return compile("string", rules, compileStringRules);
  if (scalar === ScalarType.BYTES && typeCase === "bytes") return compile("bytes", rules, compileBytesRules);
  if (scalar === ScalarType.BOOL && typeCase === "bool") return compile("bool", rules, compileBoolRules);
  return unsupported(where, [`${typeCase} rules on a ${ScalarType[scalar].toLowerCase()}`]);
}

interface MessageRulesRead {
  readonly required: boolean;
  readonly skip: boolean;
}

/** The value of an absent scalar (proto3 zero values). */
export function zeroOf(scalar: ScalarType): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BYTES:
      return new Uint8Array(0);
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 0n;
    default:
      return 0;
  }
}

/** The message type of a message field, a list of messages or a map with message values. */
export function messageOf(field: DescField): DescMessage | undefined {
  return (field as { readonly message?: DescMessage }).message;
}

/** AnyRules in / not_in on the type URL (`required` is a presence rule, handled by the walker). */
function compileAnyRules(reader: RuleReader): Check | undefined {
  const within = reader.get<string[]>("in") ?? [];
  const without = reader.get<string[]>("not_in") ?? [];
  if (within.length > 0) {
    const set = new Set(within);
    const message = `must be one of the types [${within.join(", ")}]`;
    return (value, walk) => {
      const url = (value as { typeUrl: string }).typeUrl;
      if (!set.has(url)) walk.report("any.in", message, url);
    };
  }
  if (without.length > 0) {
    const set = new Set(without);
    const message = `must not be one of the types [${without.join(", ")}]`;
    return (value, walk) => {
      const url = (value as { typeUrl: string }).typeUrl;
      if (set.has(url)) walk.report("any.not_in", message, url);
    };
  }
  return undefined;
}
