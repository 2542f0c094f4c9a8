import { plainScalar } from "./yaml-scalars.js";

// YAML that this package (and Envoy) reads back as the same JSON value: block style, and a string
// is quoted whenever Envoy's rules would read it plainly as something else ("yes", "0x10", "~",
// "8080") or YAML would read it differently (": ", " #", leading indicators, spaces at the ends).
const safePlain = /^[A-Za-z0-9_./][A-Za-z0-9_./\-+=*@$%()<>]*$/;

function scalar(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  // Integers as written; other numbers as text (Envoy reads a plain float as a string, and
  // protobuf JSON takes a number written as a string for a numeric field).
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : JSON.stringify(String(value));
  const s = String(value);
  const plain = safePlain.test(s) && plainScalar(s) === s;
  return plain ? s : JSON.stringify(s);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const keyOf = (k: string): string => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) && plainScalar(k) === k ? k : JSON.stringify(k));

const isCollection = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : isObject(v) && Object.keys(v).length > 0);
const inline = (v: unknown): string => (Array.isArray(v) ? "[]" : isObject(v) ? "{}" : scalar(v));

/** The lines of a non-empty collection in block style, each starting with `indent`. */
function block(value: unknown, indent: string): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isCollection(item)) {
        out.push(`${indent}- ${inline(item)}`);
        continue;
      }
      // The item's first line goes after the dash: "- name: x", "- - a".
      const inner = block(item, `${indent}  `);
      inner[0] = `${indent}- ${(inner[0] as string).slice(indent.length + 2)}`;
      out.push(...inner);
    }
    return out;
  }
  // "@type" first, where people look for it.
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => Number(b === "@type") - Number(a === "@type"));
  for (const [k, v] of entries) {
    if (isCollection(v)) out.push(`${indent}${keyOf(k)}:`, ...block(v, `${indent}  `));
    else out.push(`${indent}${keyOf(k)}: ${inline(v)}`);
  }
  return out;
}

/** A JSON value as block YAML that Envoy's loader and this package read back as the same value. */
export function toYaml(value: unknown): string {
  return `${(isCollection(value) ? block(value, "") : [inline(value)]).join("\n")}\n`;
}
