import { type DescMessage, fromJson, type JsonValue, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { type JsonProblem, normalizeMessage } from "./envoy-json.js";
import { formatPath, type PathLink } from "./field-path.js";

/** Options of {@link decodeMessage}. */
export interface DecodeOptions {
  /**
   * Where the types of `Any` values (`typed_config` with `"@type"`) are found: the types your
   * config uses (`createRegistry(file_…)`), `lazyEnvoyRegistry()` (any Envoy type, each loaded on
   * first use) or `envoyRegistry` (every Envoy type, loaded at once). A type it does not hold is a
   * problem at that `"@type"`.
   */
  readonly registry: Registry;
  /** Problems collected at most (the rest are dropped). Default: 100. */
  readonly maxProblems?: number | undefined;
}

/** A problem in a JSON value, at a field path inside it. */
export interface ValueProblem {
  /** `load_assignment.endpoints[0].lb_endpoints[1].endpoint`, or "" for the value itself. */
  readonly path: string;
  /** What is wrong with the value there. */
  readonly message: string;
  /** The path as keys and list indexes, to find it in the text it came from. */
  readonly keys: readonly (string | number)[];
}

/** What {@link decodeMessage} makes of a JSON value: the message, or every problem found. */
export type DecodeResult<Desc extends DescMessage> =
  | { readonly message: MessageShape<Desc>; readonly problems: readonly [] }
  | { readonly message: undefined; readonly problems: readonly ValueProblem[] };

const keysOf = (link: PathLink | undefined): (string | number)[] => {
  const out: (string | number)[] = [];
  for (let l = link; l !== undefined; l = l.parent) out.push(l.key);
  return out.reverse();
};

const toProblem = (p: JsonProblem): ValueProblem => ({ path: formatPath(p.path), message: p.message, keys: keysOf(p.path) });

/**
 * Decodes a JSON value (what `JSON.parse` or a YAML parser gives) as a `schema` message the way
 * Envoy's own config loader reads it: enum names in any letter case, one value where a list is
 * expected, wrappers as `{value: x}` or bare, durations as `"1.5s"` or `{seconds, nanos}`, numbers
 * written as strings, `Any` with `"@type"` under any host, resolved through `registry`. Every
 * problem is reported (up to `maxProblems`), each with its field path, not only the first.
 *
 * `json` is rewritten in place into canonical protobuf JSON; pass a copy to keep it.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, json: unknown, options: DecodeOptions): DecodeResult<Desc> {
  const problems: JsonProblem[] = [];
  normalizeMessage(schema, json, undefined, { registry: options.registry, problems, maxProblems: options.maxProblems ?? 100, depth: 0 });
  if (problems.length > 0) return { message: undefined, problems: problems.map(toProblem) };
  try {
    return { message: fromJson(schema, json as JsonValue, { registry: options.registry }), problems: [] };
  } catch (e) {
    // The walk above refuses what fromJson would; this is the net under it, without a path.
    return { message: undefined, problems: [{ path: "", keys: [], message: e instanceof Error ? e.message : String(e) }] };
  }
}
