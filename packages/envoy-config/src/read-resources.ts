import type { DescMessage, Message } from "@bufbuild/protobuf";
import { CacheError, LISTENER_TYPE_URL, resourceName, TYPE_URL_PREFIX } from "@xdskit/cache-core";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { ConfigProblem } from "./config-problem.js";
import { decodeMessage, type DecodeOptions } from "./decode-message.js";
import { formatPath, type PathLink } from "./field-path.js";
import { nameListeners } from "./listener-name.js";
import { type ConfigFormat, formatOf, type ParsedText, parseConfigText } from "./parse-config-text.js";

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
  readonly schema: DescMessage;
  readonly message: Message;
  readonly file: string;
  /** Where it was written: `[2]`, `resources[0]`, `document 2 [1]`, or "" for a file that is one resource. */
  readonly path: string;
}

/** What {@link readResources} read: the resources that decoded, and every problem of the others. */
export interface ReadResourcesResult {
  readonly resources: ConfigResource[];
  readonly problems: ConfigProblem[];
  /** Worth knowing, not wrong: a listener given a name. */
  readonly notices: ConfigProblem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export interface Placed {
  readonly file: string;
  readonly parsed: ParsedText;
  readonly document: number;
  /** Keys from the document root to the value. */
  readonly keys: readonly (string | number)[];
  readonly path: string;
}

/** A problem at `keys` below a placed value, with its line when the text has it. */
export function problemAt(at: Placed, keys: readonly (string | number)[], message: string): ConfigProblem {
  let link: PathLink | undefined;
  for (const k of keys) link = { parent: link, key: k };
  const pos = at.parsed.locate(at.document, [...at.keys, ...keys]);
  return { file: at.file, path: formatPath(link, at.path).trimEnd(), message, line: pos?.line, column: pos?.column };
}

function candidates(value: unknown, document: number, multi: boolean): { value: unknown; keys: (string | number)[]; path: string }[] {
  // In a file of several documents, paths start with the document: "document 2 [0].name".
  const prefix = multi ? `document ${document + 1} ` : "";
  if (Array.isArray(value)) return value.map((v, i) => ({ value: v, keys: [i], path: `${prefix}[${i}]` }));
  if (isObject(value) && value["@type"] === undefined && Array.isArray(value["resources"])) {
    return value["resources"].map((v, i) => ({ value: v, keys: ["resources", i], path: `${prefix}resources[${i}]` }));
  }
  return [{ value, keys: [], path: prefix }];
}

/**
 * Reads Envoy resources written as YAML (several documents allowed) or JSON, each an object with
 * `"@type"` (`type.googleapis.com/envoy.config.cluster.v3.Cluster`) and the resource's fields in
 * Envoy's protobuf-JSON form: one resource, a list of them, or `{resources: [...]}`. Decoded as
 * Envoy's own loader does (see {@link decodeMessage}); every problem of every resource is
 * reported with its file, field path and line. A listener without a name is named after its
 * address ({@link listenerNameOf}) and reported as a notice.
 */
export function readResources(text: string, options: ReadOptions): ReadResourcesResult {
  const file = options.file ?? "<config>";
  const parsed = parseConfigText(text, file, options.format ?? formatOf(file));
  const problems: ConfigProblem[] = parsed.problem === undefined ? [] : [parsed.problem];
  const notices: ConfigProblem[] = [];
  const resources: ConfigResource[] = [];
  const unnamed: { resource: ConfigResource; listener: Listener; at: Placed }[] = [];
  const multi = parsed.documents.length > 1;
  parsed.documents.forEach((doc, document) => {
    if (doc === null) return;
    for (const c of candidates(doc, document, multi)) {
      const at: Placed = { file, parsed, document, keys: c.keys, path: c.path };
      if (!isObject(c.value)) {
        problems.push(problemAt(at, [], `expected a resource: an object with "@type", got ${Array.isArray(c.value) ? "a list" : JSON.stringify(c.value)}`));
        continue;
      }
      const { "@type": type, ...body } = c.value;
      if (typeof type !== "string" || type === "") {
        problems.push(problemAt(at, [], `a resource needs "@type" (like "type.googleapis.com/envoy.config.cluster.v3.Cluster")`));
        continue;
      }
      const typeUrl = type.includes("/") ? type : TYPE_URL_PREFIX + type;
      const schema = options.registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
      if (schema === undefined) {
        problems.push(problemAt(at, ["@type"], `unknown resource type "${type}": the registry given to the reader does not hold it`));
        continue;
      }
      const decoded = decodeMessage(schema, body, options);
      if (decoded.message === undefined) {
        for (const p of decoded.problems) problems.push(problemAt(at, p.keys, p.message));
        continue;
      }
      const message = decoded.message;
      if (typeUrl === LISTENER_TYPE_URL && (message as Listener).name === "") {
        const resource = { typeUrl, name: "", schema, message, file, path: c.path.trimEnd() };
        unnamed.push({ resource, listener: message as Listener, at });
        resources.push(resource);
        continue;
      }
      try {
        resources.push({ typeUrl, name: resourceName(schema, message, { typeUrl }), schema, message, file, path: c.path.trimEnd() });
      } catch (e) {
        problems.push(problemAt(at, [], e instanceof CacheError ? e.message : String(e)));
      }
    }
  });
  if (unnamed.length > 0) {
    const taken = resources.filter((r) => r.typeUrl === LISTENER_TYPE_URL && r.name !== "").map((r) => r.name);
    nameListeners(
      unnamed.map((u) => u.listener),
      taken,
    );
    for (const u of unnamed) {
      (u.resource as { name: string }).name = u.listener.name;
      notices.push(problemAt(u.at, [], `a listener without a name: named "${u.listener.name}" after its address`));
    }
  }
  return { resources, problems, notices };
}
