import { fromJson, type DescField, type DescMessage, type JsonValue, type Registry } from "@bufbuild/protobuf";

/** Well-known types with their own JSON form: their inside has no field paths worth descending into. */
const specialJson = new Set([
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.NullValue",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

const isObject = (v: JsonValue | undefined): v is { [k: string]: JsonValue } => typeof v === "object" && v !== null && !Array.isArray(v);

function decodeError(desc: DescMessage, json: JsonValue, registry: Registry): string | undefined {
  try {
    fromJson(desc, json, { registry });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function findField(desc: DescMessage, key: string): DescField | undefined {
  return desc.fields.find((f) => f.jsonName === key || f.name === key);
}

export interface LocatedError {
  path: string;
  reason: string;
}

/**
 * Finds where protobuf JSON fails to decode as `desc`: the deepest field
 * whose value alone does not decode, with the decoder's reason. protobuf-es
 * names the bad key but not where it sits; Envoy users need the path.
 * Returns undefined when the JSON decodes.
 */
export function locateJsonError(desc: DescMessage, json: JsonValue, registry: Registry, path = ""): LocatedError | undefined {
  const whole = decodeError(desc, json, registry);
  if (whole === undefined) return undefined;
  if (!isObject(json) || specialJson.has(desc.typeName)) return { path, reason: whole };

  if (desc.typeName === "google.protobuf.Any") {
    const typeUrl = json["@type"];
    if (typeof typeUrl !== "string") return { path, reason: `Any needs an "@type"` };
    const inner = registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
    if (!inner) return { path: `${path}["@type"]`, reason: `unknown type ${typeUrl}` };
    if (specialJson.has(inner.typeName)) return { path, reason: whole };
    const { "@type": _drop, ...rest } = json;
    return locateJsonError(inner, rest, registry, path) ?? { path, reason: whole };
  }

  for (const [key, value] of Object.entries(json)) {
    const at = path ? `${path}.${key}` : key;
    const field = findField(desc, key);
    if (!field) return { path: at, reason: `unknown field "${key}" in ${desc.typeName}` };
    const own = decodeError(desc, { [key]: value }, registry);
    if (own === undefined) continue;
    if (field.fieldKind === "message") return locateJsonError(field.message, value, registry, at) ?? { path: at, reason: own };
    if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const found = locateJsonError(field.message, item, registry, `${at}[${i}]`);
        if (found) return found;
      }
    }
    if (field.fieldKind === "map" && field.mapKind === "message" && isObject(value)) {
      for (const [k, item] of Object.entries(value)) {
        const found = locateJsonError(field.message, item, registry, `${at}.${k}`);
        if (found) return found;
      }
    }
    return { path: at, reason: own };
  }
  return { path, reason: whole };
}
