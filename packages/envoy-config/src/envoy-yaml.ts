import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent, YAMLException } from "js-yaml";
import { parseFastYaml } from "./fast-yaml.js";
import { plainScalar } from "./yaml-scalars.js";

// Envoy turns YAML into JSON itself (yaml-cpp, then its own scalar rules) before protobuf's JSON
// parser sees it. What a plain (unquoted) scalar value becomes, as Envoy 1.40 does it:
// - `~`, `null`, `Null`, `NULL` and nothing at all: null;
// - y/yes/true/on and n/no/false/off, all lower case, all upper case or capitalised: a boolean;
// - an integer as C++ streams read it (decimal, 0x hexadecimal, leading-0 octal, optional sign):
//   a number when it fits in 32 bits, else its decimal digits as a string;
// - anything else, floats included (`0.5`, `1e3`, `.inf`): the string as written.
// Quoted scalars, scalars tagged `!` and mapping keys are always strings; other tags are ignored.
// Merge keys (`<<`) are ordinary keys; a later duplicate key wins. The same rules here make a value
// read by this package equal to the one Envoy reads, Struct metadata included. js-yaml parses
// (into events); turning the events into values is ours, for these rules.

/** A YAML or JSON syntax error, with the 1-based line and column when the parser knows them. */
export interface SyntaxProblem {
  readonly message: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
}

type Frame =
  | { kind: "document"; value: unknown }
  | { kind: "sequence"; value: unknown[]; anchor: string | undefined }
  | { kind: "mapping"; value: Record<string, unknown>; key: string | undefined; anchor: string | undefined };

// An alias is copied where it is used (Envoy's JSON has no shared nodes); this many copied values
// per document at most, so that a few lines of nested aliases cannot expand into gigabytes.
const MAX_ALIAS_COPY = 1_000_000;

class AliasBudgetError extends Error {}

function copy(value: unknown, budget: { left: number }): unknown {
  if (--budget.left < 0) throw new AliasBudgetError("aliases expand to more than 1,000,000 values");
  if (Array.isArray(value)) return value.map((v) => copy(v, budget));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(out, k, copy(v, budget));
    return out;
  }
  return value;
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // "__proto__" is data here, not the prototype.
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function scalarValue(source: string, event: ScalarEvent, text: string): unknown {
  if (event.style !== SCALAR_STYLE.PLAIN) return source;
  if (event.tagStart !== -1 && text.slice(event.tagStart, event.tagEnd) === "!") return source;
  return plainScalar(source);
}

function construct(events: Event[], text: string): unknown[] {
  const documents: unknown[] = [];
  const frames: Frame[] = [];
  let anchors = new Map<string, unknown>();
  let budget = { left: MAX_ALIAS_COPY };
  const add = (value: unknown, asKey: string | undefined): void => {
    const frame = frames[frames.length - 1];
    if (frame === undefined) return;
    if (frame.kind === "document") frame.value = value;
    else if (frame.kind === "sequence") frame.value.push(value);
    else if (frame.key === undefined) frame.key = asKey ?? (typeof value === "string" ? value : JSON.stringify(value));
    else {
      setKey(frame.value, frame.key, value);
      frame.key = undefined;
    }
  };
  const anchorOf = (e: { anchorStart: number; anchorEnd: number }): string | undefined =>
    e.anchorStart === -1 ? undefined : text.slice(e.anchorStart, e.anchorEnd);
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        anchors = new Map();
        budget = { left: MAX_ALIAS_COPY };
        frames.push({ kind: "document", value: null });
        break;
      case EVENT_ID.SCALAR: {
        const source = getScalarValue(text, event);
        const top = frames[frames.length - 1];
        const isKey = top?.kind === "mapping" && top.key === undefined;
        const value = isKey ? source : scalarValue(source, event, text);
        const anchor = anchorOf(event);
        if (anchor !== undefined) anchors.set(anchor, value);
        add(value, isKey ? source : undefined);
        break;
      }
      case EVENT_ID.SEQUENCE:
        frames.push({ kind: "sequence", value: [], anchor: anchorOf(event) });
        break;
      case EVENT_ID.MAPPING:
        frames.push({ kind: "mapping", value: {}, key: undefined, anchor: anchorOf(event) });
        break;
      case EVENT_ID.ALIAS: {
        const name = text.slice(event.anchorStart, event.anchorEnd);
        if (!anchors.has(name)) throw new YAMLException(`unidentified alias "${name}"`);
        add(copy(anchors.get(name), budget), undefined);
        break;
      }
      case EVENT_ID.POP: {
        const frame = frames.pop();
        if (frame === undefined) break;
        if (frame.kind === "document") documents.push(frame.value);
        else {
          if (frame.anchor !== undefined) anchors.set(frame.anchor, frame.value);
          add(frame.value, undefined);
        }
        break;
      }
    }
  }
  return documents;
}

/** The same with js-yaml's parser only (what the fast reader is checked against). */
export function parseEnvoyYamlFully(text: string): { documents: unknown[]; error?: SyntaxProblem } {
  try {
    return { documents: construct(parseEvents(text, {}), text) };
  } catch (e) {
    if (e instanceof YAMLException) {
      const mark = e.mark;
      return { documents: [], error: { message: e.reason, line: mark && mark.line + 1, column: mark && mark.column + 1 } };
    }
    if (e instanceof AliasBudgetError) return { documents: [], error: { message: e.message, line: undefined, column: undefined } };
    throw e;
  }
}

/**
 * Every document of a YAML text, as Envoy would turn it into JSON (see the rules above). Throws
 * nothing: a syntax error comes back as `error`, with its line and column. Most configs are read
 * by the fast reader (fast-yaml.ts); the rest, and every text with an error, by js-yaml.
 */
export function parseEnvoyYaml(text: string): { documents: unknown[]; error?: SyntaxProblem } {
  const fast = parseFastYaml(text);
  return fast === undefined ? parseEnvoyYamlFully(text) : { documents: fast };
}
