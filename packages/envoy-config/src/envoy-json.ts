import { type DescEnum, type DescField, type DescMessage, type DescOneof, type Registry, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import type { PathLink } from "./field-path.js";
import { durationValue, enumValue, Refusal, scalarValue, show } from "./scalar-values.js";
import { closestName } from "./closest-name.js";

// Envoy's loader hands JSON to protobuf's C++ parser with case-insensitive enums; that parser also
// takes one value where a list is expected, `{value: x}` for a wrapper, `{seconds, nanos}` for a
// Duration, numbers written as strings ("80", "80.0"), "true" for true, and an Any's type under any
// host ("example.com/envoy.…"). @bufbuild/protobuf reads only the canonical forms. This walk checks
// a JSON value against a message type, collects every problem with its path (not only the first),
// and rewrites, in place, what Envoy accepts into the canonical form, so that fromJson then reads
// exactly what Envoy would. Map entries and Struct fields are put in key order, the order
// cache-core's deterministic marshal writes them in: `toBinary` of a message read here gives the
// same bytes as `marshalDeterministic`, at a fraction of its cost.

/** One thing wrong in the JSON, at `path`. */
export interface JsonProblem {
  readonly path: PathLink | undefined;
  readonly message: string;
}

export interface NormalizeContext {
  readonly registry: Registry;
  readonly problems: JsonProblem[];
  /** Problems collected at most; the walk stops adding beyond it. */
  readonly maxProblems: number;
  depth: number;
}

const MAX_DEPTH = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const link = (parent: PathLink | undefined, key: string | number): PathLink => ({ parent, key });

function report(ctx: NormalizeContext, path: PathLink | undefined, message: string): undefined {
  if (ctx.problems.length < ctx.maxProblems) ctx.problems.push({ path, message });
  return undefined;
}

interface MessageInfo {
  readonly byKey: ReadonlyMap<string, DescField>;
  readonly kind: "plain" | "any" | "duration" | "string" | "struct" | "value" | "list-value" | "wrapper" | "empty";
  /** Whether two keys can set one field or one oneof (JSON and proto names, oneof members). */
  readonly needsSeen: boolean;
}

const infos = new WeakMap<DescMessage, MessageInfo>();

function kindOf(desc: DescMessage): MessageInfo["kind"] {
  switch (desc.typeName) {
    case "google.protobuf.Any":
      return "any";
    case "google.protobuf.Duration":
      return "duration";
    case "google.protobuf.Timestamp":
    case "google.protobuf.FieldMask":
      return "string";
    case "google.protobuf.Struct":
      return "struct";
    case "google.protobuf.Value":
      return "value";
    case "google.protobuf.ListValue":
      return "list-value";
    case "google.protobuf.Empty":
      return "empty";
    default:
      return isWrapperDesc(desc) ? "wrapper" : "plain";
  }
}

function infoOf(desc: DescMessage): MessageInfo {
  let info = infos.get(desc);
  if (info === undefined) {
    const byKey = new Map<string, DescField>();
    for (const f of desc.fields) byKey.set(f.name, f).set(f.jsonName, f);
    const needsSeen = desc.oneofs.length > 0 || desc.fields.some((f) => f.jsonName !== f.name);
    info = { byKey, kind: kindOf(desc), needsSeen };
    infos.set(desc, info);
  }
  return info;
}

/** Whether a type has its own JSON form (inside an Any it sits under "value"). */
function ownJsonForm(desc: DescMessage): boolean {
  return infoOf(desc).kind !== "plain" && infoOf(desc).kind !== "any" && infoOf(desc).kind !== "empty";
}

/**
 * Checks `json` as a `desc` message the way Envoy's loader reads it, rewriting it in place into
 * canonical protobuf JSON. Returns the value to store where `json` was (it may be a new value for
 * well-known types), or undefined after reporting why it cannot be one.
 */
export function normalizeMessage(desc: DescMessage, json: unknown, at: PathLink | undefined, ctx: NormalizeContext): unknown {
  const info = infoOf(desc);
  switch (info.kind) {
    case "plain":
    case "empty":
      return fields(desc, info, json, at, ctx, false);
    case "any":
      return any(json, at, ctx);
    case "duration": {
      const v = durationValue(json);
      return v instanceof Refusal ? report(ctx, at, v.reason) : v;
    }
    case "string":
      return typeof json === "string" ? json : report(ctx, at, `expected a ${desc.typeName} as a string, got ${show(json)}`);
    case "struct":
      return isObject(json) ? sortDeep(json) : report(ctx, at, `expected an object (google.protobuf.Struct), got ${show(json)}`);
    case "value":
      return sortDeep(json);
    case "list-value":
      return Array.isArray(json) ? sortDeep(json) : report(ctx, at, `expected a list (google.protobuf.ListValue), got ${show(json)}`);
    case "wrapper": {
      // Envoy also takes the wrapper as a message: `max_requests: {value: 5}`.
      const bare = isObject(json) && "value" in json && Object.keys(json).length === 1 ? json["value"] : json;
      const field = desc.fields[0] as DescField & { fieldKind: "scalar" };
      const v = scalarValue(field.scalar, bare);
      return v instanceof Refusal ? report(ctx, at, v.reason) : v;
    }
  }
}

function fields(desc: DescMessage, info: MessageInfo, json: unknown, at: PathLink | undefined, ctx: NormalizeContext, inAny: boolean): unknown {
  if (!isObject(json)) return report(ctx, at, `expected an object (${desc.typeName}), got ${show(json)}`);
  if (ctx.depth >= MAX_DEPTH) return report(ctx, at, `nested deeper than ${MAX_DEPTH} messages`);
  ctx.depth++;
  let seen: Map<DescField | DescOneof, string> | undefined;
  for (const key in json) {
    if (ctx.problems.length >= ctx.maxProblems) break;
    if (inAny && key === "@type") continue;
    const field = info.byKey.get(key);
    if (field === undefined) {
      const near = closestName(key, desc.fields.map((f) => f.name));
      report(ctx, link(at, key), `unknown field "${key}" in ${desc.typeName}${near === undefined ? "" : ` (did you mean "${near}"?)`}`);
      continue;
    }
    if (info.needsSeen) {
      seen ??= new Map();
      const again = seen.get(field);
      if (again !== undefined) report(ctx, link(at, key), `"${key}" sets ${field.name} again (also set as "${again}")`);
      seen.set(field, key);
      if (field.oneof !== undefined && json[key] !== null) {
        const other = seen.get(field.oneof);
        if (other !== undefined) report(ctx, link(at, key), `"${key}" and "${other}" are both set, but only one of ${field.oneof.name} can be`);
        else seen.set(field.oneof, key);
      }
    }
    const value = json[key];
    if (value === null) continue; // null leaves a field unset, as in protobuf JSON
    const out = fieldValue(field, value, link(at, key), ctx);
    if (out !== value && out !== undefined) json[key] = out;
  }
  ctx.depth--;
  return json;
}

function fieldValue(field: DescField, value: unknown, at: PathLink, ctx: NormalizeContext): unknown {
  switch (field.fieldKind) {
    case "scalar": {
      const v = scalarValue(field.scalar, value);
      return v instanceof Refusal ? report(ctx, at, v.reason) : v;
    }
    case "enum":
      return enumOf(field.enum, value, at, ctx);
    case "message":
      return normalizeMessage(field.message, value, at, ctx);
    case "list": {
      // Envoy's loader takes one value where a list is expected.
      const list = Array.isArray(value) ? value : [value];
      for (let i = 0; i < list.length; i++) {
        const item: unknown = list[i];
        const itemAt = link(at, i);
        if (item === null) {
          report(ctx, itemAt, "a list item cannot be null");
          continue;
        }
        let out: unknown;
        if (field.listKind === "message") out = normalizeMessage(field.message, item, itemAt, ctx);
        else if (field.listKind === "enum") out = enumOf(field.enum, item, itemAt, ctx);
        else {
          const v = scalarValue(field.scalar, item);
          out = v instanceof Refusal ? report(ctx, itemAt, v.reason) : v;
        }
        if (out !== item && out !== undefined) list[i] = out;
      }
      return list;
    }
    case "map": {
      if (!isObject(value)) return report(ctx, at, `expected an object (a map), got ${show(value)}`);
      for (const key in value) {
        const item = value[key];
        const itemAt = link(at, key);
        let out: unknown;
        if (field.mapKind === "message") out = item === null ? item : normalizeMessage(field.message, item, itemAt, ctx);
        else if (field.mapKind === "enum") out = enumOf(field.enum, item, itemAt, ctx);
        else {
          const v = scalarValue(field.scalar, item);
          out = v instanceof Refusal ? report(ctx, itemAt, v.reason) : v;
        }
        if (out !== item && out !== undefined) setOwn(value, key, out);
      }
      return sortKeys(value, field.mapKey);
    }
  }
}

/** The keys of a map in the order cache-core's deterministic marshal writes them. */
function compareMapKeys(type: ScalarType): (a: string, b: string) => number {
  switch (type) {
    case ScalarType.STRING:
      return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    case ScalarType.BOOL:
      return (a, b) => Number(a === "true") - Number(b === "true");
    default:
      return (a, b) => {
        try {
          const x = BigInt(a);
          const y = BigInt(b);
          return x < y ? -1 : x > y ? 1 : 0;
        } catch {
          return a < b ? -1 : a > b ? 1 : 0; // not a number: fromJson refuses it
        }
      };
  }
}

function sortKeys(map: Record<string, unknown>, keyType: ScalarType): Record<string, unknown> {
  const keys = Object.keys(map);
  if (keys.length < 2) return map;
  const compare = compareMapKeys(keyType);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = compare(keys[i - 1] as string, keys[i] as string) <= 0;
  if (sorted) return map;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort(compare)) setOwn(out, k, map[k]);
  return out;
}

/** A Struct, Value or ListValue with every object's keys in order (Struct fields are a string map). */
function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = sortDeep(value[i]);
    return value;
  }
  if (!isObject(value)) return value;
  for (const k of Object.keys(value)) setOwn(value, k, sortDeep(value[k]));
  return sortKeys(value, ScalarType.STRING);
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function enumOf(desc: DescEnum, value: unknown, at: PathLink, ctx: NormalizeContext): unknown {
  if (desc.typeName === "google.protobuf.NullValue") return value;
  const v = enumValue(desc, value);
  return v instanceof Refusal ? report(ctx, at, v.reason) : v;
}

function any(json: unknown, at: PathLink | undefined, ctx: NormalizeContext): unknown {
  if (!isObject(json)) return report(ctx, at, `expected an object with "@type" (google.protobuf.Any), got ${show(json)}`);
  const typeUrl = json["@type"];
  if (typeUrl === undefined && Object.keys(json).length === 0) return json;
  const typeAt = link(at, "@type");
  if (typeof typeUrl !== "string" || typeUrl === "") return report(ctx, typeAt, `expected a type URL like "type.googleapis.com/<type name>", got ${show(typeUrl)}`);
  const slash = typeUrl.lastIndexOf("/");
  if (slash <= 0) return report(ctx, typeAt, `"${typeUrl}" is not a type URL: Envoy wants "<host>/<type name>", like "type.googleapis.com/${typeUrl}"`);
  const desc = ctx.registry.getMessage(typeUrl.slice(slash + 1));
  if (desc === undefined) return report(ctx, typeAt, `unknown type "${typeUrl}": the registry given to the reader does not hold it`);
  if (!ownJsonForm(desc)) return fields(desc, infoOf(desc), json, at, ctx, true);
  for (const key of Object.keys(json)) {
    if (key !== "@type" && key !== "value") report(ctx, link(at, key), `unknown field "${key}" in an Any holding ${desc.typeName} (its value goes under "value")`);
  }
  if (!("value" in json)) return json;
  const out = normalizeMessage(desc, json["value"], link(at, "value"), ctx);
  if (out !== undefined) json["value"] = out;
  return json;
}
