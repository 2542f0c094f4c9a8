import type { DescMessage } from "@bufbuild/protobuf";
import type { AnyTypes } from "./any-types.js";
import { compileObjectFn, type ObjectFn, type ObjectHelpers } from "./object-codegen.js";
import { ANY, LIST, MESSAGE, SCALAR, SINGULAR, TIME, WRAPPER, type FieldPlan, type MessagePlan, type ValuePlan } from "./message-plan.js";
import { MapKey, WalkAborted, type Walk } from "./walk.js";
import type { WireWalker } from "./wire-walker.js";
import { mapKeyOf, uniqueKey } from "./values.js";

type Record_ = Record<string, unknown>;

/**
 * Validates protobuf-es message objects against their plans; `Any` contents go to the wire walker.
 * With `generate`, each type's walk is compiled to JavaScript on first use (see
 * compileObjectFn); otherwise, or where code cannot be generated, `message` interprets the plan.
 */
export class ObjectWalker implements ObjectHelpers {
  wire!: WireWalker;

  constructor(
    private readonly anys: AnyTypes,
    private readonly generate: boolean,
  ) {}

  /** Descends into a message object: checks it is one, of the plan's type, and not nested too deep. */
  descend(plan: MessagePlan, value: unknown, w: Walk, depth: number): void {
    if (typeof value !== "object" || value === null || (value as Record_)["$typeName"] !== plan.desc.typeName) {
      this.wrongType(plan, value, w);
      return;
    }
    if (depth > w.maxDepth) this.tooDeep(value, w);
    (plan.objectFn ?? this.compile(plan))(value as Record_, w, depth);
  }

  compile(plan: MessagePlan): ObjectFn {
    plan.objectFn = this.generate ? compileObjectFn(plan, this) : (m, w, d) => this.message(plan, m, w, d);
    return plan.objectFn;
  }

  wrongType(plan: MessagePlan, value: unknown, w: Walk): void {
    const got = typeof value === "object" && value !== null ? String((value as Record_)["$typeName"] ?? "an object without $typeName") : typeof value;
    w.reportHere("message.type", `must be a ${plan.desc.typeName} message, got ${got}`);
  }

  tooDeep(value: unknown, w: Walk): never {
    const cyclic = ancestorsOf(w).includes(value);
    w.reportHere("message.depth", cyclic ? "the message contains itself (a cyclic object graph cannot be encoded)" : `messages nested deeper than ${w.maxDepth} levels`);
    throw new WalkAborted();
  }

  message(plan: MessagePlan, msg: Record_, w: Walk, depth: number): void {
    w.visit();
    const fields = plan.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldPlan;
      const v = msg[f.key];
      if (f.cardinality === SINGULAR) this.singular(f, f.value, v, w, depth);
      else if (f.cardinality === LIST) this.list(f, v, w, depth);
      else this.map(f, v, w, depth);
    }
    const oneofs = plan.oneofs;
    for (let i = 0; i < oneofs.length; i++) {
      const o = oneofs[i] as MessagePlan["oneofs"][number];
      const selected = msg[o.key] as { case?: string; value?: unknown } | undefined;
      const c = selected?.case;
      if (c === undefined) {
        if (o.required) {
          w.leaf = o.name;
          w.leafIndex = undefined;
          w.report("oneof.required", `one of ${o.allMembers} must be set`);
        }
        continue;
      }
      const f = o.members.get(c);
      if (f !== undefined) this.singular(f, f.value, (selected as { value?: unknown }).value, w, depth);
    }
  }

  singular(f: FieldPlan, vp: ValuePlan, v: unknown, w: Walk, depth: number): void {
    switch (vp.shape) {
      case SCALAR:
        if (v === undefined) {
          if (f.explicitPresence) return;
          v = vp.zero;
        }
        w.leaf = f.name;
        w.leafIndex = undefined;
        vp.check?.(v, w);
        return;
      case WRAPPER:
      case TIME:
        if (v === undefined || v === null) {
          this.#missing(f, vp, w);
          return;
        }
        if (vp.check === undefined) return;
        w.leaf = f.name;
        w.leafIndex = undefined;
        vp.check(vp.shape === WRAPPER ? unbox(v, vp.zero) : v, w);
        return;
      case ANY:
        if (v === undefined || v === null) {
          this.#missing(f, vp, w);
          return;
        }
        w.path.push(f.name);
        this.any(vp, v, w, depth + 1);
        w.path.pop();
        return;
      default:
        if (v === undefined || v === null) {
          this.#missing(f, vp, w);
          return;
        }
        if (vp.plan === null) return;
        w.path.push(f.name);
        this.descend(vp.plan, v, w, depth + 1);
        w.path.pop();
    }
  }

  #missing(f: FieldPlan, vp: ValuePlan, w: Walk): void {
    if (vp.required === undefined) return;
    w.leaf = f.name;
    w.leafIndex = undefined;
    w.report(vp.required.rule, vp.required.message);
  }

  /** An `Any` at the current path: its rules, then its content. */
  any(vp: ValuePlan, v: unknown, w: Walk, depth: number): void {
    if (vp.check !== undefined) {
      w.leaf = undefined;
      w.leafIndex = undefined;
      vp.check(v, w);
    }
    if (vp.skip) return;
    const any = v as { typeUrl?: unknown; value?: unknown };
    const typeUrl = typeof any.typeUrl === "string" ? any.typeUrl : "";
    const bytes = any.value instanceof Uint8Array ? any.value : new Uint8Array(0);
    this.wire.anyContent(this.anys.resolve(typeUrl), typeUrl, bytes, w, depth);
  }

  list(f: FieldPlan, v: unknown, w: Walk, depth: number): void {
    if (!Array.isArray(v)) {
      if (v === undefined) v = [];
      else {
        w.leaf = f.name;
        w.leafIndex = undefined;
        w.report("repeated.type", "must be a list");
        return;
      }
    }
    const items = v as unknown[];
    const n = items.length;
    if (n === 0 && f.ignoreEmpty) return;
    if (f.countCheck !== undefined) {
      w.leaf = f.name;
      w.leafIndex = undefined;
      f.countCheck(n, w);
    }
    const vp = f.value;
    if (vp.shape === SCALAR || vp.shape === WRAPPER || vp.shape === TIME) {
      if (f.unique) {
        const seen = new Set<unknown>();
        for (let i = 0; i < n; i++) {
          const key = uniqueKey(items[i]);
          if (Number.isNaN(key)) continue; // NaN equals nothing, as in Go
          if (seen.has(key)) {
            w.leaf = f.name;
            w.leafIndex = i;
            w.report("repeated.unique", "repeats an earlier item", items[i]);
          } else seen.add(key);
        }
      }
      if (vp.check === undefined) return;
      for (let i = 0; i < n; i++) {
        w.leaf = f.name;
        w.leafIndex = i;
        vp.check(vp.shape === WRAPPER ? unbox(items[i], vp.zero) : items[i], w);
      }
      return;
    }
    if (vp.shape === MESSAGE && vp.plan === null) return;
    w.path.push(f.name);
    for (let i = 0; i < n; i++) {
      w.path.push(i);
      if (vp.shape === ANY) this.any(vp, items[i], w, depth + 1);
      else this.descend(vp.plan as MessagePlan, items[i], w, depth + 1);
      w.path.pop();
    }
    w.path.pop();
  }

  map(f: FieldPlan, v: unknown, w: Walk, depth: number): void {
    if (v === undefined) v = {};
    if (typeof v !== "object" || v === null) {
      w.leaf = f.name;
      w.leafIndex = undefined;
      w.report("map.type", "must be a map (an object)");
      return;
    }
    const entries = v as Record_;
    const keys = Object.keys(entries);
    if (keys.length === 0 && f.ignoreEmpty) return;
    if (f.countCheck !== undefined) {
      w.leaf = f.name;
      w.leafIndex = undefined;
      f.countCheck(keys.length, w);
    }
    const vp = f.value;
    for (const k of keys) {
      const key = mapKeyOf(k, f.mapKey);
      const value = entries[k];
      if (f.keyCheck !== undefined) {
        w.leaf = f.name;
        w.leafIndex = new MapKey(key);
        f.keyCheck(key, w);
      }
      if (value === undefined || value === null) {
        if (f.noSparse) {
          w.leaf = f.name;
          w.leafIndex = new MapKey(key);
          w.report("map.no_sparse", "has a key without a value");
        }
        continue;
      }
      if (vp.shape === SCALAR || vp.shape === WRAPPER || vp.shape === TIME) {
        if (vp.check === undefined) continue;
        w.leaf = f.name;
        w.leafIndex = new MapKey(key);
        vp.check(vp.shape === WRAPPER ? unbox(value, vp.zero) : value, w);
        continue;
      }
      if (vp.shape === MESSAGE && vp.plan === null) continue;
      w.path.push(f.name, new MapKey(key));
      if (vp.shape === ANY) this.any(vp, value, w, depth + 1);
      else this.descend(vp.plan as MessagePlan, value, w, depth + 1);
      w.path.length -= 2;
    }
  }
}

/**
 * The message objects from the resource down to the current path, found again by following the
 * path (only when nesting went too deep, to tell a cycle from deep nesting).
 */
function ancestorsOf(w: Walk): unknown[] {
  const out: unknown[] = [];
  let current: unknown = w.root;
  let desc = w.rootDesc;
  for (const segment of w.path) {
    if (typeof current !== "object" || current === null) break;
    out.push(current);
    if (typeof segment === "number") current = (current as unknown[])[segment];
    else if (segment instanceof MapKey) current = (current as Record_)[String(segment.key)];
    else {
      const field = desc?.fields.find((f) => f.name === segment);
      if (field === undefined) break;
      const record = current as Record_;
      if (field.oneof !== undefined) {
        const selected = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
        current = selected?.case === field.localName ? selected.value : undefined;
      } else current = record[field.localName];
      desc = (field as { message?: DescMessage }).message;
    }
  }
  return out;
}

/** protobuf-es unboxes singular wrapper fields, but not wrappers in lists, maps or oneofs. */
function unbox(v: unknown, zero: unknown): unknown {
  if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) return (v as { value?: unknown }).value ?? zero;
  return v;
}
