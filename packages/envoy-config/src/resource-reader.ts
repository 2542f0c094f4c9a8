import { hash } from "node:crypto";
import type { ConfigProblem } from "./config-problem.js";
import type { DecodeOptions } from "./decode-message.js";
import { parseFastYaml } from "./fast-yaml.js";
import { createLocator } from "./locate-path.js";
import { type ConfigFormat, formatOf } from "./parse-config-text.js";
import {
  type ConfigResource,
  type Decoded,
  decodeResource,
  nameUnnamedListeners,
  type Placed,
  type ReadResourcesResult,
  readResources,
} from "./read-resources.js";

/** Reads resource files again and again, decoding only what changed; made by {@link createResourceReader}. */
export interface ResourceReader {
  /**
   * Reads a file's text as {@link readResources} does. When the file is a YAML list of resources
   * (each item starting with `- ` at the first column), items whose text is the same as at the
   * last read of this file are not parsed or decoded again: their resources are returned with the
   * same `message` objects (treat them as read-only, or know that a change made to one is kept).
   */
  read(text: string, options?: { readonly file?: string | undefined; readonly format?: ConfigFormat | undefined }): ReadResourcesResult;
  /** Forgets what it kept of a file (when the file is gone). */
  forget(file: string): void;
}

interface Item {
  /** Offset of the item's `-` in the text. */
  readonly start: number;
  /** 1-based line of the item's first line. */
  readonly line: number;
}

/**
 * The items of a YAML text that is one block list at the first column (each line there is blank,
 * a comment, or the start of an item), or undefined for any other text.
 */
export function topLevelItems(text: string): Item[] | undefined {
  const items: Item[] = [];
  let line = 1;
  for (let i = 0; i < text.length; ) {
    const end = text.indexOf("\n", i);
    const next = end === -1 ? text.length : end + 1;
    const c = text.charCodeAt(i);
    if (c === 45 /* - */) {
      const d = text.charCodeAt(i + 1);
      if (d !== 32 && d !== 10 && d !== 13 && !Number.isNaN(d)) return undefined;
      items.push({ start: i, line });
    } else if (c !== 32 && c !== 35 /* # */ && c !== 10 && c !== 13) return undefined;
    else if (items.length === 0 && c === 32) {
      // Indented content before the first item: not a list at the top.
      let j = i;
      while (text.charCodeAt(j) === 32) j++;
      const e = text.charCodeAt(j);
      if (e !== 35 && e !== 10 && e !== 13 && !Number.isNaN(e)) return undefined;
    }
    i = next;
    line++;
  }
  return items;
}

/** What one item decoded to, kept while its text stays the same. */
interface Kept {
  readonly decoded: Decoded;
}

/**
 * A {@link ResourceReader}: for a config directory that is read again on every change, a change
 * to one resource costs that resource, not the file (nor the directory).
 */
export function createResourceReader(options: DecodeOptions): ResourceReader {
  const files = new Map<string, Map<string, Kept>>();
  return {
    forget(file) {
      files.delete(file);
    },
    read(text, o = {}) {
      const file = o.file ?? "<config>";
      const format = o.format ?? formatOf(file);
      const items = format === "yaml" ? topLevelItems(text) : undefined;
      if (items === undefined) {
        files.delete(file);
        return readResources(text, { ...options, file, format });
      }
      const before = files.get(file) ?? new Map<string, Kept>();
      const now = new Map<string, Kept>();
      const resources: ConfigResource[] = [];
      const problems: ConfigProblem[] = [];
      const notices: ConfigProblem[] = [];
      const places = new Map<ConfigResource, Placed>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Item;
        const chunk = text.slice(item.start, items[i + 1]?.start ?? text.length);
        // Keyed by a digest of the item's text, not the text: a slice would keep the whole file's text alive.
        const key = hash("sha256", chunk, "base64");
        let kept = before.get(key);
        const at: Placed = { file, locate: createLocator(chunk), document: 0, keys: [0], lineOffset: item.line - 1, path: `[${i}]` };
        if (kept === undefined) {
          const docs = parseFastYaml(chunk);
          const value = docs?.length === 1 && Array.isArray(docs[0]) && docs[0].length === 1 ? docs[0][0] : undefined;
          // The fast reader gave up on this item (an alias of another item, a block scalar...): the whole file, by the full parser.
          if (value === undefined) {
            files.delete(file);
            return readResources(text, { ...options, file, format });
          }
          kept = { decoded: decodeResource(value, at, options) };
        }
        const d = kept.decoded;
        if (d.problems !== undefined) {
          // Not kept: an item with problems is decoded again until it is fixed.
          problems.push(...d.problems);
          continue;
        }
        const r = d.resource;
        const resource = r.path === at.path ? r : { ...r, path: at.path };
        resources.push(resource);
        places.set(resource, at);
        // An unnamed listener's name depends on the other listeners: decoded again each time.
        if (r.name !== "") now.set(key, { decoded: { resource } });
      }
      files.set(file, now);
      nameUnnamedListeners(resources, (r) => places.get(r) as Placed, notices);
      return { resources, problems, notices };
    },
  };
}
