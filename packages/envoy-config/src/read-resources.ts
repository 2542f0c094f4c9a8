import type { DescMessage, Message } from "@bufbuild/protobuf";
import { CacheError, LISTENER_TYPE_URL, resourceName, TYPE_URL_PREFIX } from "@xdskit/cache-core";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { ConfigProblem } from "./config-problem.js";
import { decodeMessage, type DecodeOptions } from "./decode-message.js";
import { formatPath, type PathLink } from "./field-path.js";
import { nameListeners } from "./listener-name.js";
import type { Locator } from "./locate-path.js";
import { type ConfigFormat, formatOf, parseConfigText } from "./parse-config-text.js";

/** Options of {@link readResources} and {@link readMessage}. */
export interface ReadOptions extends DecodeOptions {
  /** The file the text came from: named in every problem, and its extension picks the format. Default: `"<config>"`. */
  readonly file?: string | undefined;
  /** Default: JSON for a `.json` file, else YAML (as Envoy decides). */
  readonly format?: ConfigFormat | undefined;
}

/** One resource read from a config text. */
export interface ConfigResource {
  /** `type.googleapis.com/envoy.config.cluster.v3.Cluster`. */
  readonly typeUrl: string;
  /** Its xDS name (`name`, or `cluster_name` of an assignment); derived from the address for an unnamed listener. */
  readonly name: string;
  /** The message schema of its type. */
  readonly schema: DescMessage;
  /** The resource, decoded. */
  readonly message: Message;
  /** The file (or label) it was read from. */
  readonly file: string;
  /** Where it was written: `[2]`, `resources[0]`, `document 2 [1]`, or "" for a file that is one resource. */
  readonly path: string;
}

/** What {@link readResources} read: the resources that decoded, and every problem of the others. */
export interface ReadResourcesResult {
  /** The resources read, in the order they were written. */
  readonly resources: ConfigResource[];
  /** Every problem found, each pinned to its file, path and line. */
  readonly problems: ConfigProblem[];
  /** Worth knowing, not wrong: a listener given a name. */
  readonly notices: ConfigProblem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a value was written: enough to name it in a problem and find its line. */
export interface Placed {
  readonly file: string;
  readonly locate: Locator;
  readonly document: number;
  /** Keys from the document root (of the located text) to the value. */
  readonly keys: readonly (string | number)[];
  /** Lines before the located text in the file (it may be a part of the file). */
  readonly lineOffset: number;
  readonly path: string;
}

/** A problem at `keys` below a placed value, with its line when the text has it. */
export function problemAt(at: Placed, keys: readonly (string | number)[], message: string): ConfigProblem {
  let link: PathLink | undefined;
  for (const k of keys) link = { parent: link, key: k };
  const pos = at.locate(at.document, [...at.keys, ...keys]);
  return { file: at.file, path: formatPath(link, at.path).trimEnd(), message, line: pos && pos.line + at.lineOffset, column: pos?.column };
}

/** The resource objects of a document: one, a list, or `{resources: [...]}`. */
export function candidates(value: unknown, document: number, multi: boolean): { value: unknown; keys: (string | number)[]; path: string }[] {
  // In a file of several documents, paths start with the document: "document 2 [0].name".
  const prefix = multi ? `document ${document + 1} ` : "";
  if (Array.isArray(value)) return value.map((v, i) => ({ value: v, keys: [i], path: `${prefix}[${i}]` }));
  if (isObject(value) && value["@type"] === undefined && Array.isArray(value["resources"])) {
    return value["resources"].map((v, i) => ({ value: v, keys: ["resources", i], path: `${prefix}resources[${i}]` }));
  }
  return [{ value, keys: [], path: prefix }];
}

/** A decoded resource, or why the value is not one. An unnamed listener has name "". */
export type Decoded = { readonly resource: ConfigResource; readonly problems?: undefined } | { readonly resource?: undefined; readonly problems: ConfigProblem[] };

/** Decodes one resource object (`"@type"` and the fields) placed at `at`. */
export function decodeResource(value: unknown, at: Placed, options: DecodeOptions): Decoded {
  const fail = (keys: (string | number)[], message: string): Decoded => ({ problems: [problemAt(at, keys, message)] });
  if (!isObject(value)) return fail([], `expected a resource: an object with "@type", got ${Array.isArray(value) ? "a list" : JSON.stringify(value)}`);
  const { "@type": type, ...body } = value;
  if (typeof type !== "string" || type === "") return fail([], `a resource needs "@type" (like "type.googleapis.com/envoy.config.cluster.v3.Cluster")`);
  const typeUrl = type.includes("/") ? type : TYPE_URL_PREFIX + type;
  const schema = options.registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  if (schema === undefined) return fail(["@type"], `unknown resource type "${type}": the registry given to the reader does not hold it`);
  const decoded = decodeMessage(schema, body, options);
  if (decoded.message === undefined) return { problems: decoded.problems.map((p) => problemAt(at, p.keys, p.message)) };
  const message = decoded.message;
  const path = at.path.trimEnd();
  if (typeUrl === LISTENER_TYPE_URL && (message as Listener).name === "") return { resource: { typeUrl, name: "", schema, message, file: at.file, path } };
  try {
    return { resource: { typeUrl, name: resourceName(schema, message, { typeUrl }), schema, message, file: at.file, path } };
  } catch (e) {
    return fail([], e instanceof CacheError ? e.message : String(e));
  }
}

/**
 * Names the unnamed listeners among `resources` (in place, after their address, unique among the
 * listeners given and `otherListenerNames`) and says so in `notices`.
 */
export function nameUnnamedListeners(
  resources: ConfigResource[],
  placesOf: (r: ConfigResource) => Placed,
  notices: ConfigProblem[],
  otherListenerNames: Iterable<string> = [],
): void {
  const listeners = resources.filter((r) => r.typeUrl === LISTENER_TYPE_URL);
  const unnamed = listeners.filter((r) => r.name === "");
  if (unnamed.length === 0) return;
  const given = nameListeners(
    unnamed.map((r) => r.message as Listener),
    [...listeners.filter((r) => r.name !== "").map((r) => r.name), ...otherListenerNames],
  );
  for (const { index, name } of given) {
    const r = unnamed[index] as ConfigResource;
    (r as { name: string }).name = name;
    notices.push(problemAt(placesOf(r), [], `a listener without a name: named "${name}" after its address`));
  }
}

/**
 * Reads Envoy resources written as YAML (several documents allowed) or JSON, each an object with
 * `"@type"` (`type.googleapis.com/envoy.config.cluster.v3.Cluster`) and the resource's fields in
 * Envoy's protobuf-JSON form: one resource, a list of them, or `{resources: [...]}`. Decoded as
 * Envoy's own loader does (see {@link decodeMessage}); every problem of every resource is
 * reported with its file, field path and line. A listener without a name is named after its
 * address ({@link listenerNameOf}) and reported as a notice. To read the same files again and
 * again (a watched directory), {@link createResourceReader} decodes only what changed.
 */
export function readResources(text: string, options: ReadOptions): ReadResourcesResult {
  const file = options.file ?? "<config>";
  const parsed = parseConfigText(text, file, options.format ?? formatOf(file));
  const problems: ConfigProblem[] = parsed.problem === undefined ? [] : [parsed.problem];
  const notices: ConfigProblem[] = [];
  const resources: ConfigResource[] = [];
  const places = new Map<ConfigResource, Placed>();
  const multi = parsed.documents.length > 1;
  parsed.documents.forEach((doc, document) => {
    if (doc === null) return;
    for (const c of candidates(doc, document, multi)) {
      const at: Placed = { file, locate: parsed.locate, document, keys: c.keys, lineOffset: 0, path: c.path };
      const d = decodeResource(c.value, at, options);
      if (d.problems !== undefined) problems.push(...d.problems);
      else {
        resources.push(d.resource);
        places.set(d.resource, at);
      }
    }
  });
  nameUnnamedListeners(resources, (r) => places.get(r) as Placed, notices);
  return { resources, problems, notices };
}
