import { plainScalar } from "./yaml-scalars.js";

// A fast reader for the YAML that big configs are made of: block mappings and sequences indented
// with spaces, one-line flow collections, one-line plain and quoted scalars, comments, `---`
// between documents. It gives up (returns undefined) on anything else (anchors, aliases, tags,
// block scalars, multi-line scalars and flow collections, tabs, complex keys, directives, and
// whatever looks wrong), and the full parser (js-yaml, envoy-yaml.ts) reads the text instead,
// which also reports the errors. What it returns is what the full parser returns for the same
// text (tested on generated YAML, fast-yaml.test.ts). Several times faster than the full parser:
// no events, no positions, values built as the text is read.

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

const SPACE = 32;
const NL = 10;
const CR = 13;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const COMMA = 44;
const DQUOTE = 34;
const SQUOTE = 39;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const TAB = 9;
const BACKSLASH = 92;

// First characters a plain scalar cannot have here (YAML indicators), or that this reader leaves
// to the full parser: & * ! | > % @ ` ? and the quotes and brackets handled elsewhere.
const special = new Set([38, 42, 33, 124, 62, 37, 64, 96, 63]);

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

class Reader {
  i = 0;
  constructor(readonly t: string) {}

  /** Moves to the next line with content; returns its indent, or -1 at the end (or a `---` line). */
  nextLine(): number {
    const t = this.t;
    for (;;) {
      if (this.i >= t.length) return -1;
      let j = this.i;
      while (t.charCodeAt(j) === SPACE) j++;
      const c = t.charCodeAt(j);
      if (c === NL || c === CR || c === HASH || Number.isNaN(c)) {
        // A blank or comment-only line.
        const end = t.indexOf("\n", j);
        this.i = end === -1 ? t.length : end + 1;
        continue;
      }
      if (c === TAB) giveUp();
      if (j === this.i && c === DASH && t.startsWith("---", j) && this.endsLine(j + 3)) return -1;
      return j - this.i;
    }
  }

  /** Whether only spaces and a comment follow `j` on its line. */
  endsLine(j: number): boolean {
    const t = this.t;
    while (t.charCodeAt(j) === SPACE) j++;
    const c = t.charCodeAt(j);
    return c === NL || c === CR || Number.isNaN(c) || c === HASH;
  }

  /** Past the end of the current line, which must hold nothing more than a comment from `j`. */
  finishLine(j: number): void {
    const t = this.t;
    let k = j;
    while (t.charCodeAt(k) === SPACE) k++;
    const c = t.charCodeAt(k);
    if (c === HASH) {
      if (k === j && j > 0 && t.charCodeAt(j - 1) !== SPACE) giveUp();
    } else if (c !== NL && c !== CR && !Number.isNaN(c)) giveUp();
    const end = t.indexOf("\n", k);
    this.i = end === -1 ? t.length : end + 1;
  }

  /** A block node whose first line starts at column `indent` (this.i at the line start). */
  block(indent: number): unknown {
    const start = this.i + indent;
    const t = this.t;
    if (t.charCodeAt(start) === DASH && this.isSeqEntry(start)) return this.sequence(start, indent);
    return this.mappingOrScalar(start, indent);
  }

  isSeqEntry(j: number): boolean {
    const c = this.t.charCodeAt(j + 1);
    return c === SPACE || c === NL || c === CR || Number.isNaN(c);
  }

  /** A block sequence whose first `-` is at `pos`, at column `col`. */
  sequence(pos: number, col: number): unknown[] {
    const out: unknown[] = [];
    let p = pos;
    for (;;) {
      out.push(this.entryValue(p + 1, col));
      const n = this.nextLine();
      if (n < col) return out;
      if (n > col) giveUp();
      p = this.i + n;
      if (this.t.charCodeAt(p) !== DASH || !this.isSeqEntry(p)) return out;
    }
  }

  /** The value after `- ` (from `j`) of an entry whose dash is at column `col`. */
  entryValue(j: number, col: number): unknown {
    const t = this.t;
    let k = j;
    while (t.charCodeAt(k) === SPACE) k++;
    if (this.endsLine(k)) {
      this.finishLine(k);
      return this.nestedBlock(col, false);
    }
    const column = col + (k - j) + 1;
    if (t.charCodeAt(k) === DASH && this.isSeqEntry(k)) return this.sequence(k, column);
    const key = this.keyAt(k);
    if (key !== undefined) return this.mapping(column, key);
    const v = this.inlineValue(k);
    this.finishLine(this.i);
    return v;
  }

  /** What follows a line that ended after `key:` or `-`: a more indented block, or null. */
  nestedBlock(parentCol: number, sameColSequence: boolean): unknown {
    const save = this.i;
    const n = this.nextLine();
    if (n > parentCol) return this.block(n);
    if (n === parentCol && sameColSequence) {
      const p = this.i + n;
      if (this.t.charCodeAt(p) === DASH && this.isSeqEntry(p)) return this.sequence(p, n);
    }
    this.i = save;
    return null;
  }

  /** A key at `j` followed by `:` and a space or the line end: the key and where its value starts. */
  keyAt(j: number): { key: string; next: number } | undefined {
    const t = this.t;
    const c = t.charCodeAt(j);
    let key: string;
    let k: number;
    if (c === DQUOTE || c === SQUOTE) {
      const q = this.quoted(j);
      key = q.value;
      k = q.end;
      while (t.charCodeAt(k) === SPACE) k++;
      if (t.charCodeAt(k) !== COLON) return undefined;
    } else {
      if (special.has(c) || c === LBRACE || c === LBRACKET || c === RBRACE || c === RBRACKET || c === COMMA || c === HASH) return undefined;
      k = j;
      for (;;) {
        const d = t.charCodeAt(k);
        if (d === NL || d === CR || Number.isNaN(d)) return undefined;
        if (d === HASH && t.charCodeAt(k - 1) === SPACE) return undefined;
        if (d === COLON) {
          const e = t.charCodeAt(k + 1);
          if (e === SPACE || e === NL || e === CR || Number.isNaN(e)) break;
        }
        k++;
      }
      key = t.slice(j, k).trimEnd();
    }
    return { key, next: k + 1 };
  }

  /** A block mapping whose keys are at column `col`, the first one read already. */
  mapping(col: number, first: { key: string; next: number }): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let entry = first;
    for (;;) {
      setKey(out, entry.key, this.mappingValue(entry.next, col));
      const n = this.nextLine();
      if (n < col) return out;
      if (n > col) giveUp();
      const p = this.i + n;
      if (this.t.charCodeAt(p) === DASH && this.isSeqEntry(p)) return out;
      const key = this.keyAt(p);
      if (key === undefined) giveUp();
      entry = key as { key: string; next: number };
    }
  }

  mappingValue(j: number, col: number): unknown {
    const t = this.t;
    let k = j;
    while (t.charCodeAt(k) === SPACE) k++;
    if (this.endsLine(k)) {
      this.finishLine(k);
      return this.nestedBlock(col, true);
    }
    if (k === j) giveUp();
    const v = this.inlineValue(k);
    this.finishLine(this.i);
    return v;
  }

  mappingOrScalar(start: number, col: number): unknown {
    const key = this.keyAt(start);
    if (key !== undefined) return this.mapping(col, key);
    const v = this.inlineValue(start);
    this.finishLine(this.i);
    if (this.nextLine() >= 0) giveUp();
    return v;
  }

  /** A value on the rest of a line (block context); leaves this.i after it. */
  inlineValue(j: number): unknown {
    const t = this.t;
    const c = t.charCodeAt(j);
    if (c === LBRACE || c === LBRACKET) {
      this.i = j;
      return this.flow();
    }
    if (c === DQUOTE || c === SQUOTE) {
      const q = this.quoted(j);
      this.i = q.end;
      return q.value;
    }
    if (special.has(c) || c === RBRACE || c === RBRACKET || c === COMMA || (c === DASH && this.isSeqEntry(j))) giveUp();
    let k = j;
    for (;;) {
      const d = t.charCodeAt(k);
      if (d === NL || d === CR || Number.isNaN(d)) break;
      if (d === HASH && t.charCodeAt(k - 1) === SPACE) break;
      if (d === COLON) {
        const e = t.charCodeAt(k + 1);
        if (e === SPACE || e === NL || e === CR || Number.isNaN(e)) giveUp();
      }
      k++;
    }
    this.i = k;
    return plainScalar(t.slice(j, k).trimEnd());
  }

  /** A one-line quoted scalar at `j`. */
  quoted(j: number): { value: string; end: number } {
    const t = this.t;
    const q = t.charCodeAt(j);
    let k = j + 1;
    let out = "";
    let from = k;
    for (;;) {
      const d = t.charCodeAt(k);
      if (d === NL || d === CR || Number.isNaN(d)) giveUp();
      if (d === q) {
        if (q === SQUOTE && t.charCodeAt(k + 1) === SQUOTE) {
          out += t.slice(from, k + 1);
          k += 2;
          from = k;
          continue;
        }
        return { value: out + t.slice(from, k), end: k + 1 };
      }
      if (q === DQUOTE && d === BACKSLASH) {
        out += t.slice(from, k) + this.escape(k);
        k += t.charCodeAt(k + 1) === 117 ? 6 : t.charCodeAt(k + 1) === 120 ? 4 : 2;
        from = k;
        continue;
      }
      k++;
    }
  }

  escape(k: number): string {
    const t = this.t;
    const e = t[k + 1];
    switch (e) {
      case '"':
      case "\\":
      case "/":
        return e;
      case "n":
        return "\n";
      case "t":
        return "\t";
      case "r":
        return "\r";
      case "0":
        return "\0";
      case "u":
      case "x": {
        const hex = t.slice(k + 2, k + (e === "u" ? 6 : 4));
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== (e === "u" ? 4 : 2)) giveUp();
        const code = Number.parseInt(hex, 16);
        if (code >= 0xd800 && code <= 0xdfff) giveUp();
        return String.fromCharCode(code);
      }
      default:
        return giveUp();
    }
  }

  /** A flow collection starting at this.i, closed on the same line. */
  flow(): unknown {
    const t = this.t;
    const open = t.charCodeAt(this.i);
    this.i++;
    const close = open === LBRACE ? RBRACE : RBRACKET;
    const map: Record<string, unknown> | undefined = open === LBRACE ? {} : undefined;
    const list: unknown[] | undefined = open === LBRACE ? undefined : [];
    for (let first = true; ; first = false) {
      this.spaces();
      if (t.charCodeAt(this.i) === close) {
        this.i++;
        return map ?? list;
      }
      if (!first) {
        if (t.charCodeAt(this.i) !== COMMA) giveUp();
        this.i++;
        this.spaces();
        if (t.charCodeAt(this.i) === close) {
          this.i++;
          return map ?? list;
        }
      }
      if (map !== undefined) {
        const key = this.flowScalar(true);
        if (typeof key !== "string" || t.charCodeAt(this.i) !== COLON) giveUp();
        this.i++;
        this.spaces();
        const c = t.charCodeAt(this.i);
        setKey(map, key as string, c === COMMA || c === RBRACE ? null : this.flowNode());
      } else {
        (list as unknown[]).push(this.flowNode());
        this.spaces();
        if (t.charCodeAt(this.i) === COLON) giveUp();
      }
    }
  }

  spaces(): void {
    const t = this.t;
    while (t.charCodeAt(this.i) === SPACE) this.i++;
    const c = t.charCodeAt(this.i);
    if (c === NL || c === CR || c === TAB || c === HASH || Number.isNaN(c)) giveUp();
  }

  flowNode(): unknown {
    const c = this.t.charCodeAt(this.i);
    if (c === LBRACE || c === LBRACKET) return this.flow();
    return this.flowScalar(false);
  }

  /** A scalar in a flow collection; a key (asKey) stays the text as written. */
  flowScalar(asKey: boolean): unknown {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === DQUOTE || c === SQUOTE) {
      const q = this.quoted(this.i);
      this.i = q.end;
      this.spaces0();
      return q.value;
    }
    if (special.has(c) || c === COMMA || c === RBRACE || c === RBRACKET || c === HASH) giveUp();
    // A `-` or `:` starts a plain scalar only before a "safe" character (not a space or a flow indicator).
    if (c === DASH || c === COLON) {
      const d = t.charCodeAt(this.i + 1);
      if (d === SPACE || d === COMMA || d === RBRACE || d === RBRACKET || d === LBRACE || d === LBRACKET || d === NL || d === CR || Number.isNaN(d)) giveUp();
    }
    let k = this.i;
    for (;;) {
      const d = t.charCodeAt(k);
      if (d === NL || d === CR || Number.isNaN(d)) giveUp();
      if (d === COMMA || d === RBRACE || d === RBRACKET || d === LBRACE || d === LBRACKET) break;
      if (d === HASH && t.charCodeAt(k - 1) === SPACE) giveUp();
      if (d === COLON) {
        const e = t.charCodeAt(k + 1);
        if (e === SPACE || e === COMMA || e === RBRACE || e === RBRACKET) break;
      }
      k++;
    }
    const text = t.slice(this.i, k).trimEnd();
    this.i = k;
    if (text === "") giveUp();
    return asKey ? text : plainScalar(text);
  }

  spaces0(): void {
    while (this.t.charCodeAt(this.i) === SPACE) this.i++;
  }
}

/**
 * The documents of a YAML text when it is written in the common subset this reader knows, as the
 * full parser would read them; undefined when it is not (the caller then uses the full parser).
 */
export function parseFastYaml(text: string): unknown[] | undefined {
  if (text.includes("\t") || text.charCodeAt(0) === 0xfeff || text.startsWith("%")) return undefined;
  const r = new Reader(text);
  const documents: unknown[] = [];
  try {
    for (let explicit = false; ; ) {
      const n = r.nextLine();
      if (n >= 0) {
        documents.push(r.block(n));
        explicit = false;
        const after = r.nextLine();
        if (after >= 0) giveUp();
      }
      if (r.i >= text.length) {
        if (explicit) documents.push(null);
        return documents;
      }
      // At a `---` line.
      if (explicit) documents.push(null);
      explicit = true;
      r.finishLine(r.i + 3);
    }
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}
