import type { JsonValue } from "@bufbuild/protobuf";
import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type { NodeMatcher } from "@xdskit/envoy-api/envoy/type/matcher/v3/node_pb";
import type { StringMatcher } from "@xdskit/envoy-api/envoy/type/matcher/v3/string_pb";
import type { StructMatcher } from "@xdskit/envoy-api/envoy/type/matcher/v3/struct_pb";
import type { ValueMatcher } from "@xdskit/envoy-api/envoy/type/matcher/v3/value_pb";
import { ServerError } from "@xdskit/server-core";

// Envoy's NodeMatcher, as CSDS requests carry it: the node id by a
// StringMatcher, and every node_metadatas StructMatcher on the node's metadata.

/** Whether `node` matches `matcher` (an empty matcher matches every node). */
export function nodeMatches(matcher: NodeMatcher, node: Node): boolean {
  if (matcher.nodeId !== undefined && !stringMatches(matcher.nodeId, node.id, "node_id")) return false;
  if (matcher.nodeMetadatas.length === 0) return true;
  const metadata = (node.metadata ?? {}) as JsonValue;
  return matcher.nodeMetadatas.every((struct, i) => structMatches(struct, metadata, `node_metadatas[${i}]`));
}

/**
 * A StringMatcher: exact, prefix, suffix, contains, or safe_regex (run as a
 * JavaScript regular expression over the whole value); `ignore_case` for all
 * but the regex.
 *
 * @throws {ServerError} `invalid-request` naming the field for a bad regex or a `custom` matcher.
 */
export function stringMatches(matcher: StringMatcher, value: string, field: string): boolean {
  const fold = (text: string): string => (matcher.ignoreCase ? text.toLowerCase() : text);
  const pattern = matcher.matchPattern;
  switch (pattern.case) {
    case "exact":
      return fold(value) === fold(pattern.value);
    case "prefix":
      return fold(value).startsWith(fold(pattern.value));
    case "suffix":
      return fold(value).endsWith(fold(pattern.value));
    case "contains":
      return fold(value).includes(fold(pattern.value));
    case "safeRegex": {
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${pattern.value.regex})$`, "u");
      } catch (error) {
        throw new ServerError("invalid-request", `${field}.safe_regex.regex "${pattern.value.regex}" is not a valid regular expression`, { cause: error });
      }
      return regex.test(value);
    }
    case "custom":
      throw new ServerError("invalid-request", `${field}.custom string matchers are not supported`);
    default:
      return true;
  }
}

function structMatches(matcher: StructMatcher, struct: JsonValue, field: string): boolean {
  let value: JsonValue | undefined = struct;
  for (const segment of matcher.path) {
    if (segment.segment.case !== "key") return false;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    value = (value as { [key: string]: JsonValue })[segment.segment.value];
  }
  return matcher.value === undefined || valueMatches(matcher.value, value, `${field}.value`);
}

function valueMatches(matcher: ValueMatcher, value: JsonValue | undefined, field: string): boolean {
  const pattern = matcher.matchPattern;
  switch (pattern.case) {
    case "nullMatch":
      return value === null;
    case "doubleMatch": {
      if (typeof value !== "number") return false;
      const double = pattern.value.matchPattern;
      if (double.case === "exact") return value === double.value;
      if (double.case === "range") return value >= double.value.start && value < double.value.end;
      return false;
    }
    case "stringMatch":
      return typeof value === "string" && stringMatches(pattern.value, value, `${field}.string_match`);
    case "boolMatch":
      return value === pattern.value;
    case "presentMatch":
      return (value !== undefined) === pattern.value;
    case "listMatch": {
      const one = pattern.value.matchPattern;
      if (!Array.isArray(value) || one.case !== "oneOf") return false;
      return value.some((item) => valueMatches(one.value, item, `${field}.list_match.one_of`));
    }
    case "orMatch":
      return pattern.value.valueMatchers.some((inner, i) => valueMatches(inner, value, `${field}.or_match.value_matchers[${i}]`));
    default:
      return true;
  }
}
