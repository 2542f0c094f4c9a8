import { hash } from "node:crypto";
import type { ConfigProblem } from "./config-problem.js";
import type { DecodeOptions } from "./decode-message.js";
import { parseFastYaml } from "./fast-yaml.js";
import { createLocator } from "./locate-path.js";
import { type ConfigFormat, formatOf } from "./parse-config-text.js";
import { LISTENER_TYPE_URL } from "@xdskit/cache-core";
import {
  type ConfigResource,
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

/** One resource of a {@link PreparingResourceReader}'s read. */
export interface PreparedResource<T> {
  /** What `prepare` made of the resource when its item was decoded: the same value while the item's text is unchanged. */
  readonly value: T;
  /** The resource's type URL. */
  readonly typeUrl: string;
  /** Its xDS name. */
  readonly name: string;
  /** The file (or label) it was read from. */
  readonly file: string;
  /** Where it is written now: an item that moved keeps its value, and gets its new path here. */
  readonly path: string;
}

/** What a {@link PreparingResourceReader} read: the resources that decoded, and every problem of the others. */
export interface PreparedReadResult<T> {
  /** The resources read, in the order they were written. */
  readonly resources: PreparedResource<T>[];
  /** Every problem found, each pinned to its file, path and line. */
  readonly problems: ConfigProblem[];
  /** Worth knowing, not wrong: a listener given a name. */
  readonly notices: ConfigProblem[];
}

/** A {@link ResourceReader} that keeps what `prepare` made of each resource instead of the resource; made by {@link createPreparingResourceReader}. */
export interface PreparingResourceReader<T> {
  /** Reads a file's text as {@link ResourceReader.read} does; an unchanged item gives the value `prepare` made of it at its last read. */
  read(text: string, options?: { readonly file?: string | undefined; readonly format?: ConfigFormat | undefined }): PreparedReadResult<T>;
  /** Forgets what it kept of a file (when the file is gone). */
  forget(file: string): void;
}

/** Options of {@link createPreparingResourceReader}. */
export interface PreparingReaderOptions<T> extends DecodeOptions {
  /**
   * Makes what is kept of a freshly decoded resource (say, its encoding for a cache): called once
   * per decoded resource, as soon as it is decoded (an unnamed listener once the file is read and
   * it is named). The reader keeps the value, not the resource: the decoded message need not stay
   * alive.
   */
  readonly prepare: (resource: ConfigResource) => T;
}

/** What one item gave, kept while its text stays the same. */
interface Kept<T> {
  readonly value: T;
  readonly typeUrl: string;
  readonly name: string;
}

/**
 * A {@link PreparingResourceReader}: as {@link createResourceReader}, but what is kept of an
 * unchanged item, and returned for it, is what `options.prepare` made of its resource. For a
 * program that keeps resources in another form (encoded bytes) and wants the decoded messages
 * gone once it has them.
 */
export function createPreparingResourceReader<T>(options: PreparingReaderOptions<T>): PreparingResourceReader<T> {
  const files = new Map<string, Map<string, Kept<T>>>();
  const decodeOptions: DecodeOptions = options;
  const prepared = (r: ConfigResource): PreparedResource<T> => ({ value: options.prepare(r), typeUrl: r.typeUrl, name: r.name, file: r.file, path: r.path });
  const whole = (text: string, file: string, format: ConfigFormat): PreparedReadResult<T> => {
    files.delete(file);
    const read = readResources(text, { ...decodeOptions, file, format });
    return { resources: read.resources.map(prepared), problems: read.problems, notices: read.notices };
  };
  return {
    forget(file) {
      files.delete(file);
    },
    read(text, o = {}) {
      const file = o.file ?? "<config>";
      const format = o.format ?? formatOf(file);
      const items = format === "yaml" ? topLevelItems(text) : undefined;
      if (items === undefined) return whole(text, file, format);
      const before = files.get(file) ?? new Map<string, Kept<T>>();
      const now = new Map<string, Kept<T>>();
      // Each item: what was kept of it, what was made of it now, or (an unnamed listener) its
      // resource, prepared once every listener of the file is read and it has a name.
      const found: ({ kept: Kept<T>; key: string; path: string } | { made: PreparedResource<T>; key: string } | { fresh: ConfigResource; key: string })[] = [];
      const problems: ConfigProblem[] = [];
      const notices: ConfigProblem[] = [];
      const places = new Map<ConfigResource, Placed>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Item;
        const chunk = text.slice(item.start, items[i + 1]?.start ?? text.length);
        // Keyed by a digest of the item's text, not the text: a slice would keep the whole file's text alive.
        const key = hash("sha256", chunk, "base64");
        const path = `[${i}]`;
        const kept = before.get(key);
        if (kept !== undefined) {
          found.push({ kept, key, path });
          continue;
        }
        const at: Placed = { file, locate: createLocator(chunk), document: 0, keys: [0], lineOffset: item.line - 1, path };
        const docs = parseFastYaml(chunk);
        const value = docs?.length === 1 && Array.isArray(docs[0]) && docs[0].length === 1 ? docs[0][0] : undefined;
        // The fast reader gave up on this item (an alias of another item, a block scalar...): the whole file, by the full parser.
        if (value === undefined) return whole(text, file, format);
        const d = decodeResource(value, at, decodeOptions);
        if (d.problems !== undefined) {
          // Not kept: an item with problems is decoded again until it is fixed.
          problems.push(...d.problems);
          continue;
        }
        const r = d.resource.path === path ? d.resource : { ...d.resource, path };
        if (r.name === "") {
          places.set(r, at);
          found.push({ fresh: r, key });
        } else {
          // Prepared at once: the decoded message need not outlive its item.
          found.push({ made: prepared(r), key });
        }
      }
      // An unnamed listener's name depends on the other listeners: it is not kept (decoded again each time).
      const unnamed = found.flatMap((f) => ("fresh" in f ? [f.fresh] : []));
      const listenerNames = found.flatMap((f) => {
        const r = "kept" in f ? f.kept : "made" in f ? f.made : undefined;
        return r?.typeUrl === LISTENER_TYPE_URL ? [r.name] : [];
      });
      nameUnnamedListeners(unnamed, (r) => places.get(r) as Placed, notices, listenerNames);
      const resources: PreparedResource<T>[] = [];
      for (const f of found) {
        if ("kept" in f) {
          resources.push({ value: f.kept.value, typeUrl: f.kept.typeUrl, name: f.kept.name, file, path: f.path });
          now.set(f.key, f.kept);
        } else if ("made" in f) {
          resources.push(f.made);
          now.set(f.key, { value: f.made.value, typeUrl: f.made.typeUrl, name: f.made.name });
        } else resources.push(prepared(f.fresh));
      }
      files.set(file, now);
      return { resources, problems, notices };
    },
  };
}

/**
 * A {@link ResourceReader}: for a config directory that is read again on every change, a change
 * to one resource costs that resource, not the file (nor the directory).
 */
export function createResourceReader(options: DecodeOptions): ResourceReader {
  const reader = createPreparingResourceReader<ConfigResource>({ ...options, prepare: (r) => r });
  return {
    forget: (file) => reader.forget(file),
    read(text, o) {
      const read = reader.read(text, o);
      return { resources: read.resources.map((r) => (r.value.path === r.path ? r.value : { ...r.value, path: r.path })), problems: read.problems, notices: read.notices };
    },
  };
}
