import type { JsonValue } from "@bufbuild/protobuf";
import { parseAllDocuments } from "yaml";
import type { ConfigProblem } from "./config-error.js";

/** One resource object as written in a file, with where it stands in that file. */
export interface RawResource {
  file: string;
  /** `resources[3]`, `[0]`, or "" when the file is a single resource. */
  path: string;
  json: { [k: string]: JsonValue };
}

const isObject = (v: unknown): v is { [k: string]: JsonValue } => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads a YAML or JSON file holding Envoy resources in protobuf JSON: one
 * resource (an object with "@type"), a list of them, or `{resources: [...]}`.
 * Several YAML documents in one file are allowed (`---`).
 */
export function parseResourceFile(file: string, text: string): { resources: RawResource[]; problems: ConfigProblem[] } {
  const resources: RawResource[] = [];
  const problems: ConfigProblem[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, d) => {
    const prefix = list.length > 1 ? `document ${d + 1} ` : "";
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, fieldPath: "", reason: `${prefix}does not parse: ${e.message.split("\n")[0]}` });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    const add = (v: unknown, path: string): void => {
      if (!isObject(v)) problems.push({ file, fieldPath: path, reason: `${prefix}expected a resource object with "@type"` });
      else if (typeof v["@type"] !== "string") problems.push({ file, fieldPath: path, reason: `${prefix}resource has no "@type"` });
      else resources.push({ file, path: prefix ? `${prefix.trim()}${path ? ` ${path}` : ""}` : path, json: v });
    };
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) add(v, `[${i}]`);
    } else if (isObject(value) && Array.isArray(value["resources"]) && value["@type"] === undefined) {
      for (const [i, v] of value["resources"].entries()) add(v, `resources[${i}]`);
    } else {
      add(value, "");
    }
  });
  return { resources, problems };
}
