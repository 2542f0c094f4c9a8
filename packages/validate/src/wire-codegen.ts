import { ScalarType } from "@bufbuild/protobuf";
import { ANY, MAP, MESSAGE, SCALAR, SINGULAR, type FieldPlan, type MessagePlan, type ValuePlan } from "./message-plan.js";
import type { StringCheck } from "./string-rules.js";
import type { Walk } from "./walk.js";
import { I32, LEN, VARINT, wireTypeOf } from "./wire-reader.js";

/** A compiled walk of encoded messages of one type: `(bytes, start, end, walk, depth)`. */
export type WireFn = (b: Uint8Array, start: number, end: number, w: Walk, d: number) => void;

/** State of a scalar list while its items are read: how many, and the ones seen (unique). */
export interface ScalarListState {
  count: number;
  seen: Set<unknown> | undefined;
}

/** What generated code calls for the parts it does not spell out. */
export interface WireHelpers {
  compile(plan: MessagePlan): WireFn;
  merged(plan: MessagePlan, b: Uint8Array, start: number, end: number, w: Walk, d: number, mark: number): void;
  anyAt(vp: ValuePlan, b: Uint8Array, start: number, end: number, w: Walk, d: number): void;
  mapAt(f: FieldPlan, b: Uint8Array, ranges: readonly number[], w: Walk, d: number): void;
  /** Reads one occurrence of a scalar list field (packed or not) at `p`; returns the position after it. */
  scalarItems(f: FieldPlan, b: Uint8Array, p: number, end: number, wt: number, state: ScalarListState, w: Walk): number;
  plainValue(vp: ValuePlan, b: Uint8Array, start: number, end: number): unknown;
  /** Reports nesting beyond the limit and stops the walk. */
  tooDeep(w: Walk): never;
}

const lit = (s: string): string => JSON.stringify(s);

// Reads a length prefix at `p` into `n` (one-byte lengths inline, the rest through r.len) and
// checks the bytes are there; `p` is left at the first byte of the value.
const READ_LEN = "if (p < end && (n = b[p]) < 0x80) { p++; if (p + n > end) r.truncated(); } else { p = r.len(b, p, end); n = V.lo; }";
const tagOf = (num: number, wt: number): number => num * 8 + wt;

/**
 * Generates the walk of encoded messages of one type: one pass over the bytes with a `switch`
 * on the tag, keeping where the last occurrence of each singular field is in local variables
 * and descending into list items as they come, then the rules on what was found. The
 * interpreter (WireWalker.message) does the same with a field table; see compileObjectFn for
 * what may appear in the generated source.
 */
export function compileWireFn(plan: MessagePlan, h: WireHelpers, reader: WireReaderFns): WireFn {
  const values: unknown[] = [];
  const ref = (x: unknown): string => {
    values.push(x);
    return `$[${values.length - 1}]`;
  };
  const decls: string[] = [];
  const cases: string[] = [];
  const after: string[] = [];
  const planRef = ref(plan);

  // Each child type's walk is looked up once, then kept in a variable of the generated closure.
  const children = new Map<MessagePlan, string>();
  const child = (p: MessagePlan): string => {
    let fn = children.get(p);
    if (fn === undefined) {
      fn = `f${children.size}`;
      children.set(p, fn);
    }
    const r = ref(p);
    return `(${fn} ??= ${r}.wireFn ?? h.compile(${r}))`;
  };
  // The value of a scalar at [s, e): inline for the common varint types.
  const read = (scalar: ScalarType, s: string, e: string): string => {
    switch (scalar) {
      case ScalarType.STRING:
        return `r.str(b, ${s}, ${e})`;
      case ScalarType.BYTES:
        return `b.subarray(${s}, ${e})`;
      case ScalarType.UINT32:
        return `(r.varint(b, ${s}, ${e}), V.lo >>> 0)`;
      case ScalarType.INT32:
        return `(r.varint(b, ${s}, ${e}), V.lo | 0)`;
      case ScalarType.BOOL:
        return `(r.varint(b, ${s}, ${e}), (V.lo | V.hi) !== 0)`;
      default:
        return `r.scalar(b, ${s}, ${e}, ${scalar})`;
    }
  };
  const required = (name: string, vp: ValuePlan): string =>
    vp.required === undefined ? "" : `w.leaf = ${lit(name)}; w.leafIndex = undefined; w.report(${lit(vp.required.rule)}, ${lit(vp.required.message)});`;

  // What to do with a singular field (or oneof member) found at [s, e) — or not found (s < 0).
  const singular = (f: FieldPlan, s: string, e: string): string => {
    const vp = f.value;
    const name = lit(f.name);
    if (vp.shape === SCALAR) {
      if (vp.check === undefined) return "";
      const check = ref(vp.check);
      const zero = f.explicitPresence ? "" : `else { w.leaf = ${name}; w.leafIndex = undefined; ${check}(${ref(vp.zero)}, w); }`;
      // Length rules on a string are judged on its bytes; it is decoded only when one may fail.
      const onBytes = vp.scalar === ScalarType.STRING ? (vp.check as StringCheck).onBytes : undefined;
      if (onBytes !== undefined) {
        return `if (${s} >= 0) { if (${ref(onBytes)}(b, ${s}, ${e})) { w.leaf = ${name}; w.leafIndex = undefined; ${check}(${read(vp.scalar as ScalarType, s, e)}, w); } } ${zero}`;
      }
      const test = vp.check.suspect === undefined ? "" : `if (${vp.check.suspect("u", ref)}) `;
      return `if (${s} >= 0) { const u = ${read(vp.scalar as ScalarType, s, e)}; ${test}{ w.leaf = ${name}; w.leafIndex = undefined; ${check}(u, w); } } ${zero}`;
    }
    let found: string;
    if (vp.shape === ANY) found = `w.path.push(${name}); h.anyAt(${ref(vp)}, b, ${s}, ${e}, w, d + 1); w.path.pop();`;
    else if (vp.shape === MESSAGE) found = vp.plan === null ? "" : `w.path.push(${name}); ${child(vp.plan)}(b, ${s}, ${e}, w, d + 1); w.path.pop();`;
    else found = vp.check === undefined ? "" : `w.leaf = ${name}; w.leafIndex = undefined; ${ref(vp.check)}(h.plainValue(${ref(vp)}, b, ${s}, ${e}), w);`;
    const missing = required(f.name, vp);
    if (found === "" && missing === "") return "";
    return `if (${s} >= 0) { ${found} } else { ${missing} }`;
  };

  // Recording an occurrence of a singular field (or a oneof member) in slot i.
  const record = (f: FieldPlan, i: number): void => {
    const vp = f.value;
    const member = f.oneof === undefined ? "" : ` o${i} = ${f.member};`;
    if (vp.shape !== SCALAR) {
      const again = f.oneof === undefined ? `s${i} >= 0` : `s${i} >= 0 && o${i} === ${f.member}`;
      cases.push(
        `case ${tagOf(f.number, LEN)}: ${READ_LEN} if (${again}) { h.merged(${planRef}, b, start, end, w, d, mark); return; } s${i} = p; p += n; e${i} = p;${member} break;`,
      );
      return;
    }
    const wt = wireTypeOf(vp.scalar as ScalarType);
    const label = `case ${tagOf(f.number, wt)}:`;
    if (wt === VARINT) cases.push(`${label} s${i} = p; if (b[p] < 0x80) p++; else p = r.varint(b, p, end); e${i} = p;${member} break;`);
    else if (wt === LEN) cases.push(`${label} ${READ_LEN} s${i} = p; p += n; e${i} = p;${member} break;`);
    else {
      const size = wt === I32 ? 4 : 8;
      cases.push(`${label} if (p + ${size} > end) r.truncated(); s${i} = p; p += ${size}; e${i} = p;${member} break;`);
    }
  };

  for (const f of plan.fields) {
    const i = f.slot;
    const name = lit(f.name);
    if (f.cardinality === SINGULAR) {
      decls.push(`s${i} = -1`, `e${i} = 0`);
      record(f, i);
      after.push(singular(f, `s${i}`, `e${i}`));
    } else if (f.cardinality === MAP) {
      const m = `m${f.number}`;
      decls.push(m);
      cases.push(`case ${tagOf(f.number, LEN)}: ${READ_LEN} (${m} ??= []).push(p, p + n); p += n; break;`);
      after.push(`h.mapAt(${ref(f)}, b, ${m} ?? EMPTY, w, d);`);
    } else {
      const vp = f.value;
      const countSuspect = f.countCheck?.suspect;
      const count =
        f.countCheck === undefined
          ? ""
          : `${countSuspect === undefined ? "" : `if (${countSuspect("(COUNT)", ref)}) `}{ w.leaf = ${name}; w.leafIndex = undefined; ${ref(f.countCheck)}(COUNT, w); }`;
      const guarded = (n: string): string => (count === "" ? "" : f.ignoreEmpty ? `if (${n} !== 0) { ${count.replaceAll("COUNT", n)} }` : count.replaceAll("COUNT", n));
      if (vp.shape === SCALAR) {
        const q = `q${i}`;
        decls.push(q);
        const ewt = wireTypeOf(vp.scalar as ScalarType);
        const body = `p = h.scalarItems(${ref(f)}, b, p, end, t & 7, ${q} ??= { count: 0, seen: undefined }, w); break;`;
        cases.push(`case ${tagOf(f.number, ewt)}: ${ewt === LEN ? "" : `case ${tagOf(f.number, LEN)}: `}${body}`);
        after.push(guarded(`(${q} === undefined ? 0 : ${q}.count)`));
      } else {
        const n = `n${i}`;
        decls.push(`${n} = 0`);
        let item = "";
        if (vp.shape === ANY) item = `w.path.push(${name}, k); h.anyAt(${ref(vp)}, b, p, ve, w, d + 1); w.path.length -= 2;`;
        else if (vp.shape === MESSAGE) item = vp.plan === null ? "" : `w.path.push(${name}, k); ${child(vp.plan)}(b, p, ve, w, d + 1); w.path.length -= 2;`;
        else if (vp.check !== undefined) item = `w.leaf = ${name}; w.leafIndex = k; ${ref(vp.check)}(h.plainValue(${ref(vp)}, b, p, ve), w);`;
        cases.push(`case ${tagOf(f.number, LEN)}: { ${READ_LEN} const ve = p + n; const k = ${n}++; ${item} p = ve; break; }`);
        after.push(guarded(n));
      }
    }
  }
  for (const o of plan.oneofs) {
    const i = o.slot;
    decls.push(`s${i} = -1`, `e${i} = 0`, `o${i} = -1`);
    for (const f of o.memberList) record(f, i);
    const members = o.memberList
      .map((f) => {
        const code = singular(f, `s${i}`, `e${i}`);
        return code === "" ? "" : `case ${f.member}: ${code} break;`;
      })
      .join(" ");
    const missing = o.required
      ? `w.leaf = ${lit(o.name)}; w.leafIndex = undefined; w.report("oneof.required", ${lit(`one of ${o.allMembers} must be set`)});`
      : "";
    after.push(`if (s${i} < 0) { ${missing} } else switch (o${i}) { ${members} }`);
  }

  const source = [
    "if (d > w.maxDepth) h.tooDeep(w);",
    "if (++w.visits > w.maxVisits) w.visit();",
    "const mark = w.violations.length;",
    `let p = start, t = 0, n = 0${decls.length === 0 ? "" : `, ${decls.join(", ")}`};`,
    "while (p < end) {",
    "t = b[p]; if (t < 0x80) p++; else { p = r.varint(b, p, end); t = V.lo >>> 0; }",
    `switch (t) { ${cases.join("\n")}`,
    `default: if (t < 8) r.fieldZero(); if ((t & 7) === 2) { ${READ_LEN} p += n; } else p = r.skip(b, p, end, t & 7, t >>> 3); }`,
    "}",
    ...after.filter((line) => line !== ""),
  ].join("\n");
  const locals = children.size === 0 ? "" : `let ${[...children.values()].join(", ")};\n`;
  const factory = new Function("$", "h", "r", "V", "EMPTY", `${locals}return function wire_${plan.desc.typeName.replace(/[^A-Za-z0-9_]/g, "_")}(b, start, end, w, d) {\n${source}\n};`);
  return factory(values, h, reader, reader.V, EMPTY) as WireFn;
}

const EMPTY: readonly number[] = Object.freeze([]);

/** The wire reading functions generated code uses (wire-reader plus a few checks). */
export interface WireReaderFns {
  readonly V: { lo: number; hi: number };
  varint(b: Uint8Array, p: number, end: number): number;
  len(b: Uint8Array, p: number, end: number): number;
  skip(b: Uint8Array, p: number, end: number, wt: number, num: number): number;
  scalar(b: Uint8Array, s: number, e: number, scalar: ScalarType): unknown;
  str(b: Uint8Array, s: number, e: number): string;
  truncated(): never;
  fieldZero(): never;
}
