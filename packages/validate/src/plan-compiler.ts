import { create, getOption, hasOption, type DescField, type DescMessage, type DescOneof, type Message } from "@bufbuild/protobuf";
import {
  disabled,
  ignored,
  MapRulesSchema,
  RepeatedRulesSchema,
  required as oneofRequired,
  rules as fieldRules,
  type FieldRules,
} from "@xdskit/envoy-api/validate/validate_pb";
import { ANY, LIST, MAP, MESSAGE, SCALAR, SINGULAR, type FieldPlan, type MessagePlan, type OneofPlan } from "./message-plan.js";
import { allOf, RuleReader, unsupportedRules, type Check } from "./rule-reader.js";
import { countCheck, messageOf, messageRulesOf, valuePlan, type Unsupported, type ValueType } from "./value-rules.js";

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

  readonly #report: Unsupported = (where, names) => this.#unsupported(where, names);

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
      const counted = countCheck(reader, "items", "item");
      const unique = reader.get<boolean>("unique") === true;
      const items = reader.get<FieldRules>("items");
      const value = valuePlan(where, elem, items, this.#report);
      const unread = reader.unread();
      const extra = unread.length > 0 ? this.#unsupported(where, unread) : undefined;
      if (unique && value.shape !== SCALAR) this.#unsupported(where, ["repeated.unique on message items"]);
      messageRulesOf(fr);
      return {
        ...base,
        cardinality: LIST,
        explicitPresence: false,
        value,
        countCheck: extra === undefined ? counted : allOf([extra, ...(counted === undefined ? [] : [counted])]),
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
      const counted = countCheck(reader, "pairs", "pair");
      const noSparse = reader.get<boolean>("no_sparse") === true;
      const keys = reader.get<FieldRules>("keys");
      const values = reader.get<FieldRules>("values");
      const keyPlan = valuePlan(`${where} (key)`, { scalar: field.mapKey }, keys, this.#report);
      const value = valuePlan(where, valueType, values, this.#report);
      const unread = reader.unread();
      const extra = unread.length > 0 ? this.#unsupported(where, unread) : undefined;
      messageRulesOf(fr);
      return {
        ...base,
        cardinality: MAP,
        explicitPresence: false,
        value,
        countCheck: extra === undefined ? counted : allOf([extra, ...(counted === undefined ? [] : [counted])]),
        unique: false,
        ignoreEmpty,
        noSparse: noSparse && value.shape !== SCALAR,
        mapKey: field.mapKey,
        keyCheck: keyPlan.check,
      };
    }
    const type: ValueType =
      field.fieldKind === "message" ? { message: field.message } : field.fieldKind === "enum" ? { enumDesc: field.enum } : { scalar: field.scalar };
    const value = valuePlan(where, type, fr, this.#report);
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
    const value = valuePlan(where, elem, undefined, this.#report);
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
}

const oneofRequired_ = oneofRequired;
const emptyRepeated: Message = /*@__PURE__*/ create(RepeatedRulesSchema);
const emptyMap: Message = /*@__PURE__*/ create(MapRulesSchema);
