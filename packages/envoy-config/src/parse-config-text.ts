import type { ConfigProblem } from "./config-problem.js";
import { parseEnvoyYaml } from "./envoy-yaml.js";
import { createLocator, type Locator } from "./locate-path.js";

/** How a config text is written. */
export type ConfigFormat = "yaml" | "json";

/** As Envoy decides: a `.json` file is JSON, anything else YAML. */
export function formatOf(file: string): ConfigFormat {
  return file.toLowerCase().endsWith(".json") ? "json" : "yaml";
}

/** The documents of a text, or the syntax problem that stopped it. */
export interface ParsedText {
  readonly documents: unknown[];
  readonly problem: ConfigProblem | undefined;
  /** Line and column of a path in document `document`, found by parsing again (for problems only). */
  readonly locate: Locator;
}

function jsonErrorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const line = /line (\d+) column (\d+)/.exec(message);
  if (line !== null) return { line: Number(line[1]), column: Number(line[2]) };
  const position = /position (\d+)/.exec(message);
  if (position === null) return undefined;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const lineNo = before.split("\n").length;
  return { line: lineNo, column: offset - before.lastIndexOf("\n") };
}

/**
 * Parses a config text as Envoy would: JSON with `JSON.parse` (as Envoy hands JSON to protobuf's
 * parser), YAML with Envoy's scalar rules (see envoy-yaml.ts), every document of it.
 */
export function parseConfigText(text: string, file: string, format: ConfigFormat): ParsedText {
  if (format === "json") {
    try {
      // JSON is YAML too: positions of problems are found by the YAML parser.
      return { documents: [JSON.parse(text) as unknown], problem: undefined, locate: createLocator(text) };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const at = jsonErrorPosition(text, message);
      return { documents: [], problem: { file, path: "", message: `not valid JSON: ${message}`, line: at?.line, column: at?.column }, locate: () => undefined };
    }
  }
  const parsed = parseEnvoyYaml(text);
  if (parsed.error !== undefined) {
    const { message, line, column } = parsed.error;
    return { documents: [], problem: { file, path: "", message: `not valid YAML: ${message}`, line, column }, locate: () => undefined };
  }
  return { documents: parsed.documents, problem: undefined, locate: createLocator(text) };
}
