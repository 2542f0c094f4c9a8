import { EVENT_ID, type Event, getScalarValue, parseEvents } from "js-yaml";

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

function startOf(e: Event): number {
  switch (e.type) {
    case EVENT_ID.SCALAR:
      return e.valueStart;
    case EVENT_ID.SEQUENCE:
    case EVENT_ID.MAPPING:
      return e.start;
    default:
      return -1;
  }
}

/** Index of the event after the node starting at `i`. */
function skip(events: Event[], i: number): number {
  const e = events[i];
  if (e === undefined || (e.type !== EVENT_ID.SEQUENCE && e.type !== EVENT_ID.MAPPING)) return i + 1;
  let depth = 0;
  for (let j = i; j < events.length; j++) {
    const t = (events[j] as Event).type;
    if (t === EVENT_ID.SEQUENCE || t === EVENT_ID.MAPPING) depth++;
    else if (t === EVENT_ID.POP && --depth === 0) return j + 1;
  }
  return events.length;
}

/** Finds where paths start in a text; see {@link createLocator}. */
export type Locator = (document: number, keys: readonly (string | number)[]) => { line: number; column: number } | undefined;

/**
 * Where the value at `keys` (in document `document`; keys and list indexes) starts in a YAML (or
 * JSON) text: the deepest node of the path that exists. The text is parsed again, once, on the
 * first question: this runs only to place problems (the fast read keeps no positions). A list
 * index 0 on a mapping stays on it: Envoy reads one value as a list of one.
 */
export function createLocator(text: string): Locator {
  let events: Event[] | undefined;
  return (document, keys) => {
    if (events === undefined) {
      try {
        events = parseEvents(text, {});
      } catch {
        events = [];
      }
    }
    return locate(text, events, document, keys);
  };
}

function locate(text: string, events: Event[], document: number, keys: readonly (string | number)[]): { line: number; column: number } | undefined {
  let i = 0;
  for (let d = -1; i < events.length; i++) {
    if ((events[i] as Event).type === EVENT_ID.DOCUMENT && ++d === document) break;
  }
  i++;
  if (i >= events.length) return undefined;
  let found = startOf(events[i] as Event);
  for (const key of keys) {
    const node = events[i] as Event | undefined;
    if (node === undefined) break;
    if (node.type === EVENT_ID.SEQUENCE && typeof key === "number") {
      let j = i + 1;
      for (let n = 0; n < key && j < events.length && (events[j] as Event).type !== EVENT_ID.POP; n++) j = skip(events, j);
      if ((events[j] as Event | undefined)?.type === EVENT_ID.POP) break;
      i = j;
    } else if (node.type === EVENT_ID.MAPPING && typeof key === "string") {
      let j = i + 1;
      let hit = -1;
      while (j < events.length && (events[j] as Event).type !== EVENT_ID.POP) {
        const k = events[j] as Event;
        const value = skip(events, j);
        if (k.type === EVENT_ID.SCALAR && getScalarValue(text, k) === key) hit = value;
        j = skip(events, value);
      }
      if (hit === -1) break;
      i = hit;
    } else if (node.type === EVENT_ID.MAPPING && key === 0) {
      continue;
    } else break;
    const start = startOf(events[i] as Event);
    if (start >= 0) found = start;
  }
  return found < 0 ? undefined : lineColumn(text, found);
}
