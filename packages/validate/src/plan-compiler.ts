import { create, getOption, hasOption, ScalarType, type DescEnum, type DescField, type DescMessage, type DescOneof, type Message } from "@bufbuild/protobuf";
import {
  AnyRulesSchema,
  BoolRulesSchema,
  BytesRulesSchema,
  disabled,
  DoubleRulesSchema,
  DurationRulesSchema,
  EnumRulesSchema,
  Fixed32RulesSchema,
  Fixed64RulesSchema,
  FloatRulesSchema,
  ignored,
  Int32RulesSchema,
  Int64RulesSchema,
  MapRulesSchema,
  MessageRulesSchema,
  RepeatedRulesSchema,
  required as oneofRequired,
  rules as fieldRules,
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
import {
  ANY,
  LIST,
  MAP,
  MESSAGE,
  SCALAR,
  SINGULAR,
  TIME,
  WRAPPER,
  type FieldPlan,
  type MessagePlan,
  type OneofPlan,
  type Requirement,
  type ValuePlan,
} from "./message-plan.js";
import { compileBoolRules, compileNumberRules, type NumberKind } from "./number-rules.js";
import { allOf, RuleReader, suspectWhen, unsupportedRules, type Check } from "./rule-reader.js";
import { compileStringRules } from "./string-rules.js";
import { compileTimestampRules } from "./timestamp-rules.js";

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

/** The type of a value: a scalar, an enum, or a message. */
type ValueType = { readonly scalar: ScalarType } | { readonly enumDesc: DescEnum } | { readonly message: DescMessage };

/** A message type's fields before we know which of its children have anything to check. */
interface LocalPlan {
  readonly desc: DescMessage;
  readonly fields: FieldPlan[];
  readonly oneofRequired: ReadonlySet<DescOneof>;
  /** Checks something itself: a rule, a requirement, an `Any` to look into. */
  readonly active: boolean;
  /** Message types its values descend into. */
  readonly children: readonly DescMessage[];
}

/**
 * Compiles the validate.rules of message types into {@link MessagePlan}s, once per type, and
 * works out which types have anything to check at all (a type is worth descending into when it
 * or a type below it has a rule or holds an `Any`), so validation skips everything else.
 */
export class PlanCompiler {
  readonly #local = new Map<string, LocalPlan>();
  readonly #active = new Map<string, boolean>();
  readonly #plans = new Map<string, MessagePlan | null>();
  /** Rules set in a descriptor that nothing here implements, as `Type.field: kind.rule`. */
  readonly unsupported: string[] = [];

  /** The plan of a type; `null` when nothing in or below it is checked. */
  planFor(desc: DescMessage): MessagePlan | null {
    const known = this.#plans.get(desc.typeName);
    if (known !== undefined) return known;
    this.#settle(desc);
    return this.#plans.get(desc.typeName) ?? null;
  }

  // Decides activeness for every type reachable from `root` not yet decided (a fixpoint over
  // the closure, which handles recursive types), then builds the plans of the active ones.
  #settle(root: DescMessage): void {
    const closure: LocalPlan[] = [];
    const seen = new Set<string>();
    const stack = [root];
    while (stack.length > 0) {
      const desc = stack.pop() as DescMessage;
      if (seen.has(desc.typeName) || this.#active.has(desc.typeName)) continue;
      seen.add(desc.typeName);
      const local = this.#localPlan(desc);
      closure.push(local);
      for (const child of local.children) stack.push(child);
    }
    const active = new Map(closure.map((l) => [l.desc.typeName, l.active]));
    const isActive = (typeName: string): boolean => active.get(typeName) ?? this.#active.get(typeName) ?? false;
    for (let changed = true; changed; ) {
      changed = false;
      for (const l of closure) {
        if (active.get(l.desc.typeName) === true) continue;
        if (l.children.some((c) => isActive(c.typeName))) {
          active.set(l.desc.typeName, true);
          changed = true;
        }
      }
    }
    // Shells first, so recursive types can point at each other; then fill them.
    const shells: [LocalPlan, MessagePlan][] = [];
    for (const l of closure) {
      const on = active.get(l.desc.typeName) === true;
      this.#active.set(l.desc.typeName, on);
      if (!on) {
        this.#plans.set(l.desc.typeName, null);
        continue;
      }
      const plan: MessagePlan = { desc: l.desc, fields: [], oneofs: [], byNumber: [], slots: 0, objectFn: undefined, wireFn: undefined };
      this.#plans.set(l.desc.typeName, plan);
      shells.push([l, plan]);
    }
    for (const [l, plan] of shells) this.#fill(l, plan);
  }

  #fill(local: LocalPlan, plan: MessagePlan): void {
    const keep = (f: FieldPlan): boolean => {
      const v = f.value;
      if (v.shape === MESSAGE) v.plan = v.skip ? null : this.#childPlan(f);
      return (
        v.check !== undefined ||
        v.required !== undefined ||
        f.countCheck !== undefined ||
        f.unique ||
        f.noSparse ||
        f.keyCheck !== undefined ||
        (v.shape === ANY && !v.skip) ||
        (v.shape === MESSAGE && v.plan !== null)
      );
    };
    // A oneof is tracked whole when it is required or any member has something to check: the
    // member set last is the one that counts, whichever it is.
    const kept = new Set(local.fields.filter(keep));
    const liveOneofs = new Set<DescOneof>(local.oneofRequired);
    for (const f of kept) if (f.field.oneof !== undefined) liveOneofs.add(f.field.oneof);
    const oneofs = new Map<DescOneof, OneofPlan>();
    for (const f of local.fields) {
      if (!kept.has(f) && !(f.field.oneof !== undefined && liveOneofs.has(f.field.oneof))) continue;
      const o = f.field.oneof;
      if (o === undefined) {
        plan.fields.push(f);
        // Singular fields keep their last occurrence in a slot; lists count their items in one.
        f.slot = f.cardinality === MAP ? -1 : plan.slots++;
      } else {
        let oneof = oneofs.get(o);
        if (oneof === undefined) {
          oneof = this.#oneofPlan(o, local.oneofRequired.has(o));
          oneofs.set(o, oneof);
        }
        const withOneof = f as { oneof: OneofPlan | undefined };
        withOneof.oneof = oneof;
        f.member = oneof.memberList.length;
        oneof.members.set(f.key, f);
        oneof.memberList.push(f);
      }
      plan.byNumber[f.number] = f;
    }
    for (const oneof of oneofs.values()) {
      oneof.slot = plan.slots++;
      for (const f of oneof.memberList) f.slot = oneof.slot;
      plan.oneofs.push(oneof);
    }
  }

  #childPlan(f: FieldPlan): MessagePlan | null {
    const desc = messageOf(f.field);
    return desc === undefined ? null : (this.#plans.get(desc.typeName) ?? null);
  }

  #oneofPlan(o: DescOneof, required: boolean): OneofPlan {
    return {
      name: o.name,
      key: o.localName,
      required,
      members: new Map(),
      memberList: [],
      allMembers: o.fields.map((f) => f.name).join(", "),
      slot: -1,
    };
  }

  #localPlan(desc: DescMessage): LocalPlan {
    const cached = this.#local.get(desc.typeName);
    if (cached !== undefined) return cached;
    const off = (hasOption(desc, disabled) && getOption(desc, disabled)) || (hasOption(desc, ignored) && getOption(desc, ignored));
    const fields: FieldPlan[] = [];
    const children: DescMessage[] = [];
    const oneofRequired = new Set<DescOneof>();
    let active = false;
    if (!off) {
      for (const o of desc.oneofs) if (hasOption(o, oneofRequired_) && getOption(o, oneofRequired_)) oneofRequired.add(o);
      active = oneofRequired.size > 0;
      for (const field of desc.fields) {
        const plan = this.#fieldPlan(desc, field);
        if (plan === undefined) continue;
        fields.push(plan);
        const v = plan.value;
        if (
          v.check !== undefined ||
          v.required !== undefined ||
          plan.countCheck !== undefined ||
          plan.unique ||
          plan.noSparse ||
          plan.keyCheck !== undefined ||
          (v.shape === ANY && !v.skip)
        ) {
          active = true;
        }
        const child = messageOf(field);
        if (v.shape === MESSAGE && !v.skip && child !== undefined) children.push(child);
      }
    }
    const local: LocalPlan = { desc, fields, oneofRequired, active, children };
    this.#local.set(desc.typeName, local);
    return local;
  }

  #unsupported(where: string, names: readonly string[]): Check {
    for (const n of names) this.unsupported.push(`${where}: ${n}`);
    return unsupportedRules(names);
  }

  #fieldPlan(desc: DescMessage, field: DescField): FieldPlan | undefined {
    const where = `${desc.typeName}.${field.name}`;
    const fr: FieldRules | undefined = hasOption(field, fieldRules) ? getOption(field, fieldRules) : undefined;
    const typeCase = fr?.type.case;
    const base = {
      field,
      name: field.name,
      key: field.localName,
      number: field.number,
      oneof: undefined,
      slot: -1,
      member: -1,
    };
    if (field.fieldKind === "list") {
      const elem: ValueType =
        field.listKind === "message" ? { message: field.message } : field.listKind === "enum" ? { enumDesc: field.enum } : { scalar: field.scalar };
      if (typeCase !== undefined && typeCase !== "repeated") {
        return this.#misplaced(base, where, `${typeCase} rules on a repeated field`, elem);
      }
      const reader = new RuleReader("repeated", fr?.type.value ?? emptyRepeated, RepeatedRulesSchema.fields);
      const ignoreEmpty = reader.get<boolean>("ignore_empty") === true;
      const countCheck = this.#countCheck(reader, "items", "item");
      const unique = reader.get<boolean>("unique") === true;
      const items = reader.get<FieldRules>("items");
      const value = this.#valuePlan(where, elem, items);
      const unread = reader.unread();
      const extra = unread.length > 0 ? this.#unsupported(where, unread) : undefined;
      if (unique && value.shape !== SCALAR) this.#unsupported(where, ["repeated.unique on message items"]);
      this.#messageRulesRead(fr);
      return {
        ...base,
        cardinality: LIST,
        explicitPresence: false,
        value,
        countCheck: extra === undefined ? countCheck : allOf([extra, ...(countCheck === undefined ? [] : [countCheck])]),
        unique,
        ignoreEmpty,
        noSparse: false,
        mapKey: undefined,
        keyCheck: undefined,
      };
    }
    if (field.fieldKind === "map") {
      const valueType: ValueType =
        field.mapKind === "message" ? { message: field.message } : field.mapKind === "enum" ? { enumDesc: field.enum } : { scalar: field.scalar };
      if (typeCase !== undefined && typeCase !== "map") return this.#misplaced(base, where, `${typeCase} rules on a map field`, valueType);
      const reader = new RuleReader("map", fr?.type.value ?? emptyMap, MapRulesSchema.fields);
      const ignoreEmpty = reader.get<boolean>("ignore_empty") === true;
      const countCheck = this.#countCheck(reader, "pairs", "pair");
      const noSparse = reader.get<boolean>("no_sparse") === true;
      const keys = reader.get<FieldRules>("keys");
      const values = reader.get<FieldRules>("values");
      const keyPlan = this.#valuePlan(`${where} (key)`, { scalar: field.mapKey }, keys);
      const value = this.#valuePlan(where, valueType, values);
      const unread = reader.unread();
      const extra = unread.length > 0 ? this.#unsupported(where, unread) : undefined;
      this.#messageRulesRead(fr);
      return {
        ...base,
        cardinality: MAP,
        explicitPresence: false,
        value,
        countCheck: extra === undefined ? countCheck : allOf([extra, ...(countCheck === undefined ? [] : [countCheck])]),
        unique: false,
        ignoreEmpty,
        noSparse: noSparse && value.shape !== SCALAR,
        mapKey: field.mapKey,
        keyCheck: keyPlan.check,
      };
    }
    const type: ValueType =
      field.fieldKind === "message" ? { message: field.message } : field.fieldKind === "enum" ? { enumDesc: field.enum } : { scalar: field.scalar };
    const value = this.#valuePlan(where, type, fr);
    // Oneof members are all kept: which one is set matters even when it has no rules.
    if (value.shape === SCALAR && value.check === undefined && field.oneof === undefined) return undefined;
    if (value.shape === SCALAR) {
      // proto2 defaults, and an enum's first value, are what an absent field reads as.
      const custom = field.fieldKind === "scalar" || field.fieldKind === "enum" ? field.getDefaultValue() : undefined;
      if (custom !== undefined) value.zero = custom;
      else if (field.fieldKind === "enum") value.zero = field.enum.values[0]?.number ?? 0;
    }
    return {
      ...base,
      cardinality: SINGULAR,
      // proto3 `optional` (a synthetic oneof): Go checks it only when set.
      explicitPresence: field.fieldKind !== "message" && field.proto.proto3Optional === true,
      value,
      countCheck: undefined,
      unique: false,
      ignoreEmpty: false,
      noSparse: false,
      mapKey: undefined,
      keyCheck: undefined,
    };
  }

  #misplaced(base: Omit<FieldPlan, "cardinality" | "explicitPresence" | "value" | "countCheck" | "unique" | "ignoreEmpty" | "noSparse" | "mapKey" | "keyCheck">, where: string, what: string, elem: ValueType): FieldPlan {
    const check = this.#unsupported(where, [what]);
    const value = this.#valuePlan(where, elem, undefined);
    return {
      ...base,
      cardinality: base.field.fieldKind === "map" ? MAP : LIST,
      explicitPresence: false,
      value,
      countCheck: check,
      unique: false,
      ignoreEmpty: false,
      noSparse: false,
      mapKey: base.field.fieldKind === "map" ? base.field.mapKey : undefined,
      keyCheck: undefined,
    };
  }

  /** min_items/max_items (or min_pairs/max_pairs), as one check on the count. */
  #countCheck(reader: RuleReader, what: "items" | "pairs", one: string): Check | undefined {
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

  #messageRulesRead(fr: FieldRules | undefined): MessageRulesRead {
    const mr = fr?.message;
    if (mr === undefined) return { required: false, skip: false };
    const reader = new RuleReader("message", mr, MessageRulesSchema.fields);
    return { required: reader.get<boolean>("required") === true, skip: reader.get<boolean>("skip") === true };
  }

  /** Go's resolveRules: what the rules of a value mean given its type. */
  #valuePlan(where: string, type: ValueType, fr: FieldRules | undefined): ValuePlan {
    const typeCase = fr?.type.case;
    const mr = this.#messageRulesRead(fr);
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
      if (schema === undefined) return this.#unsupported(where, [`${kind} rules`]);
      const reader = new RuleReader(kind, rules, schema.fields);
      const check = build(reader);
      const unread = reader.unread();
      if (unread.length === 0) return check;
      const warn = this.#unsupported(where, unread);
      return allOf([warn, ...(check === undefined ? [] : [check])]);
    };
    if (typeCase === "repeated" || typeCase === "map") {
      return plain(SCALAR, { check: this.#unsupported(where, [`${typeCase} rules on a singular value`]) });
    }
    if ("message" in type) {
      const name = type.message.typeName;
      const wrapped = WRAPPERS.get(name);
      if (wrapped !== undefined) {
        const required: Requirement | undefined = mr.required ? { rule: "message.required", message: "is required" } : undefined;
        if (typeCase === undefined) return plain(WRAPPER, { scalar: wrapped, required, zero: zeroOf(wrapped) });
        return plain(WRAPPER, { scalar: wrapped, required, zero: zeroOf(wrapped), check: this.#scalarCheck(where, wrapped, typeCase, fr?.type.value as Message, compile) });
      }
      if (name === DURATION || name === TIMESTAMP) {
        const timestamp = name === TIMESTAMP;
        const kind = timestamp ? "timestamp" : "duration";
        if (typeCase === undefined) {
          return plain(TIME, { timestamp, required: mr.required ? { rule: "message.required", message: "is required" } : undefined, skip: mr.skip });
        }
        if (typeCase !== kind) return plain(TIME, { timestamp, check: this.#unsupported(where, [`${typeCase} rules on a ${name}`]) });
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
        if (typeCase !== "any") return plain(ANY, { check: this.#unsupported(where, [`${typeCase} rules on an Any`]) });
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
          if (inList.length > 0 || notIn.length > 0) this.#unsupported(where, ["any.in / any.not_in on a message that is not an Any"]);
          return undefined;
        });
        return plain(MESSAGE, { required: requiredRule ? { rule: "any.required", message: "is required" } : undefined, plan: null });
      }
      if (typeCase !== undefined) return plain(MESSAGE, { check: this.#unsupported(where, [`${typeCase} rules on a message`]) });
      return plain(MESSAGE, { required: mr.required ? { rule: "message.required", message: "is required" } : undefined, skip: mr.skip, plan: null });
    }
    if ("enumDesc" in type) {
      if (typeCase === undefined) return plain(SCALAR, { scalar: ScalarType.INT32, isEnum: true, zero: 0 });
      if (typeCase !== "enum") return plain(SCALAR, { scalar: ScalarType.INT32, isEnum: true, zero: 0, check: this.#unsupported(where, [`${typeCase} rules on an enum`]) });
      const enumDesc = type.enumDesc;
      return plain(SCALAR, {
        scalar: ScalarType.INT32,
        isEnum: true,
        zero: 0,
        check: compile("enum", fr?.type.value as Message, (reader) => compileEnumRules(enumDesc, reader)),
      });
    }
    if (typeCase === undefined) return plain(SCALAR, { scalar: type.scalar, zero: zeroOf(type.scalar) });
    return plain(SCALAR, { scalar: type.scalar, zero: zeroOf(type.scalar), check: this.#scalarCheck(where, type.scalar, typeCase, fr?.type.value as Message, compile) });
  }

  #scalarCheck(
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
    return this.#unsupported(where, [`${typeCase} rules on a ${ScalarType[scalar].toLowerCase()}`]);
  }
}

interface MessageRulesRead {
  readonly required: boolean;
  readonly skip: boolean;
}

const oneofRequired_ = oneofRequired;
const emptyRepeated: Message = /*@__PURE__*/ create(RepeatedRulesSchema);
const emptyMap: Message = /*@__PURE__*/ create(MapRulesSchema);

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
function messageOf(field: DescField): DescMessage | undefined {
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
