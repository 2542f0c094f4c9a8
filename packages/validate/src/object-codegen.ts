import { ANY, LIST, MAP, MESSAGE, SCALAR, SINGULAR, TIME, WRAPPER, type FieldPlan, type MessagePlan, type ValuePlan } from "./message-plan.js";
import type { Check } from "./rule-reader.js";
import type { Walk } from "./walk.js";

/** A compiled object walk of one message type: `(message, walk, depth)`. */
export type ObjectFn = (m: Record<string, unknown>, w: Walk, d: number) => void;

/** What generated code calls for the rare cases it does not spell out. */
export interface ObjectHelpers {
  /** Compiles (once) and returns the walk of a child type. */
  compile(plan: MessagePlan): ObjectFn;
  /** Reports a value that is not a message of the expected type. */
  wrongType(plan: MessagePlan, value: unknown, w: Walk): void;
  /** Reports nesting beyond the limit and stops the walk. */
  tooDeep(value: unknown, w: Walk): never;
  any(vp: ValuePlan, v: unknown, w: Walk, d: number): void;
  list(f: FieldPlan, v: unknown, w: Walk, d: number): void;
  map(f: FieldPlan, v: unknown, w: Walk, d: number): void;
}

const lit = (s: string): string => JSON.stringify(s);

/**
 * Generates the walk of one message type as straight-line JavaScript: each field read at its own
 * property access (monomorphic, unlike a loop over field names), rules called directly, child
 * types called through their own compiled walks. Everything the source names comes from the
 * plan's descriptors and is quoted; rules and plans are passed in, never written into the source.
 * The interpreter in ObjectWalker does the same work and is what runs where code cannot be
 * generated.
 */
export function compileObjectFn(plan: MessagePlan, h: ObjectHelpers): ObjectFn {
  const values: unknown[] = [];
  const ref = (x: unknown): string => {
    values.push(x);
    return `$[${values.length - 1}]`;
  };
  const lines: string[] = ["if (++w.visits > w.maxVisits) w.visit();", "let v, c, n;"];

  // The inline condition under which a check may report (see Suspect); "" when there is none.
  const suspect = (check: Check, x: string): string => (check.suspect === undefined ? "" : check.suspect(x, ref));

  const required = (f: FieldPlan | { name: string }, vp: ValuePlan): string =>
    vp.required === undefined ? "" : `w.leaf = ${lit(f.name)}; w.leafIndex = undefined; w.report(${lit(vp.required.rule)}, ${lit(vp.required.message)});`;

  // Each child type's walk is looked up once, then kept in a variable of the generated closure.
  const children = new Map<MessagePlan, string>();
  const descend = (child: MessagePlan, x: string): string => {
    const p = ref(child);
    let fn = children.get(child);
    if (fn === undefined) {
      fn = `f${children.size}`;
      children.set(child, fn);
    }
    return (
      // The type name through a reference: protobuf-es stores this very string, so it compares by identity.
      `if (typeof ${x} !== "object" || ${x} === null || ${x}.$typeName !== ${ref(child.desc.typeName)}) h.wrongType(${p}, ${x}, w); ` +
      `else { if (d >= w.maxDepth) h.tooDeep(${x}, w); (${fn} ??= ${p}.objectFn ?? h.compile(${p}))(${x}, w, d + 1); }`
    );
  };

  // The code for one singular value held in `x` (a field, or the selected member of a oneof).
  const singular = (f: FieldPlan, x: string): string => {
    const vp = f.value;
    const name = lit(f.name);
    switch (vp.shape) {
      case SCALAR: {
        if (vp.check === undefined) return "";
        const absent = f.explicitPresence ? "" : `if (${x} === undefined) ${x} = ${ref(vp.zero)}; `;
        const guard = f.explicitPresence ? `${x} !== undefined` : "";
        const test = [guard, suspect(vp.check, x)].filter((t) => t !== "").join(" && ");
        return `${absent}${test === "" ? "" : `if (${test}) `}{ w.leaf = ${name}; w.leafIndex = undefined; ${ref(vp.check)}(${x}, w); }`;
      }
      case WRAPPER:
      case TIME: {
        if (vp.check === undefined && vp.required === undefined) return "";
        let body = "";
        if (vp.check !== undefined) {
          const value = vp.shape === WRAPPER ? `(typeof ${x} === "object" ? (${x}.value ?? ${ref(vp.zero)}) : ${x})` : x;
          const test = suspect(vp.check, "u");
          body = `const u = ${value}; ${test === "" ? "" : `if (${test}) `}{ w.leaf = ${name}; w.leafIndex = undefined; ${ref(vp.check)}(u, w); }`;
        }
        return `if (${x} === undefined || ${x} === null) { ${required(f, vp)} } else { ${body} }`;
      }
      case ANY:
        return `if (${x} === undefined || ${x} === null) { ${required(f, vp)} } else { w.path.push(${name}); h.any(${ref(vp)}, ${x}, w, d + 1); w.path.pop(); }`;
      default: {
        const go = vp.plan === null ? "" : `w.path.push(${name}); ${descend(vp.plan, x)} w.path.pop();`;
        if (go === "" && vp.required === undefined) return "";
        return `if (${x} === undefined || ${x} === null) { ${required(f, vp)} } else { ${go} }`;
      }
    }
  };

  let loop = 0;
  for (const f of plan.fields) {
    const key = lit(f.key);
    if (f.cardinality === SINGULAR) {
      lines.push(`v = m[${key}]; ${singular(f, "v")}`);
    } else if (f.cardinality === MAP) {
      lines.push(`h.map(${ref(f)}, m[${key}], w, d);`);
    } else if (f.cardinality === LIST && f.value.shape === MESSAGE && !f.unique && f.value.check === undefined) {
      const child = f.value.plan;
      const j = `j${loop}`;
      const x = `x${loop++}`;
      const countTest = f.countCheck === undefined ? "" : suspect(f.countCheck, "n");
      const count = f.countCheck === undefined ? "" : `${countTest === "" ? "" : `if (${countTest}) `}{ w.leaf = ${lit(f.name)}; w.leafIndex = undefined; ${ref(f.countCheck)}(n, w); }`;
      const items =
        child === null
          ? ""
          : `if (n !== 0) { w.path.push(${lit(f.name)}); for (let ${j} = 0; ${j} < n; ${j}++) { const ${x} = v[${j}]; w.path.push(${j}); ${descend(child, x)} w.path.pop(); } w.path.pop(); }`;
      const body = f.ignoreEmpty ? `if (n !== 0) { ${count} ${items} }` : `${count} ${items}`;
      lines.push(`v = m[${key}]; if (v === undefined) v = []; if (!Array.isArray(v)) h.list(${ref(f)}, v, w, d); else { n = v.length; ${body} }`);
    } else {
      lines.push(`h.list(${ref(f)}, m[${key}], w, d);`);
    }
  }
  for (const o of plan.oneofs) {
    const cases = o.memberList
      .map((f) => {
        const code = singular(f, "c");
        return code === "" ? "" : `case ${lit(f.key)}: c = v.value; ${code} break;`;
      })
      .join(" ");
    const missing = o.required
      ? `w.leaf = ${lit(o.name)}; w.leafIndex = undefined; w.report("oneof.required", ${lit(`one of ${o.allMembers} must be set`)});`
      : "";
    lines.push(`v = m[${lit(o.key)}]; if (v === undefined || v.case === undefined) { ${missing} } else switch (v.case) { ${cases} }`);
  }
  const body = lines.join("\n");
  const locals = children.size === 0 ? "" : `let ${[...children.values()].join(", ")};\n`;
  const factory = new Function("$", "h", `${locals}return function walk_${plan.desc.typeName.replace(/[^A-Za-z0-9_]/g, "_")}(m, w, d) {\n${body}\n};`);
  return factory(values, h) as ObjectFn;
}

/** Whether this platform lets us generate code (a strict Content-Security-Policy does not). */
export const canGenerateCode: boolean = /*@__PURE__*/ (() => {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
})();
