// PGV patterns are Go (RE2) regular expressions. Most of RE2's syntax means the same in a
// JavaScript RegExp with the `u` flag; this rewrites what differs so a pattern matches the same
// strings as in Go: `.` excludes only "\n", `\s` is ASCII whitespace without "\v", `\A` / `\z`,
// `\Q…\E`, `\x{…}`, `(?P<name>`, POSIX classes, leading flag groups, and escaped punctuation.
// Anything it cannot translate faithfully is refused rather than approximated.

/** A pattern that could not be translated (see {@link compileGoRegexp}). */
export class UnsupportedPatternError extends Error {
  override readonly name = "UnsupportedPatternError";
}

const SPACE = "\\t\\n\\f\\r ";
const POSIX: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7f",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: SPACE,
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};
// Characters that must stay escaped in a `u`-mode RegExp (outside a class; inside, also "-").
const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

function escapeLiteral(ch: string, inClass: boolean): string {
  if (SYNTAX.has(ch) || (inClass && ch === "-")) return `\\${ch}`;
  return ch;
}

/**
 * Compiles a Go regular expression into an equivalent JavaScript RegExp.
 *
 * @throws {UnsupportedPatternError} for RE2 features JavaScript cannot express the same way
 *   (inline flag groups after the start, `(?U)`, negated `\S` inside a class, …).
 */
export function compileGoRegexp(pattern: string): RegExp {
  let flags = "u";
  let i = 0;
  // Leading flag group: (?i) (?s) (?m) and combinations.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  let dotAll = false;
  if (lead?.[1] !== undefined) {
    for (const f of lead[1]) {
      if (f === "U") throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: the (?U) flag has no JavaScript equivalent`);
      if (f === "s") dotAll = true;
      else if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = "";
  let inClass = false;
  const n = pattern.length;
  while (i < n) {
    const ch = pattern[i] as string;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)} ends with a lone backslash`);
      i += 2;
      switch (next) {
        case "A":
          if (inClass) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: \\A inside a class`);
          out += "^";
          continue;
        case "z":
          if (inClass) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: \\z inside a class`);
          out += "$";
          continue;
        case "s":
          out += inClass ? SPACE : `[${SPACE}]`;
          continue;
        case "S":
          if (inClass) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: \\S inside a class`);
          out += `[^${SPACE}]`;
          continue;
        case "Q": {
          const stop = pattern.indexOf("\\E", i);
          const literal = stop < 0 ? pattern.slice(i) : pattern.slice(i, stop);
          for (const c of literal) out += escapeLiteral(c, inClass);
          i = stop < 0 ? n : stop + 2;
          continue;
        }
        case "x": {
          if (pattern[i] === "{") {
            const close = pattern.indexOf("}", i);
            if (close < 0) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: unterminated \\x{`);
            out += `\\u{${pattern.slice(i + 1, close)}}`;
            i = close + 1;
          } else {
            out += `\\x${pattern.slice(i, i + 2)}`;
            i += 2;
          }
          continue;
        }
        case "p":
        case "P": {
          if (pattern[i] === "{") {
            const close = pattern.indexOf("}", i);
            if (close < 0) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: unterminated \\p{`);
            const name = pattern.slice(i + 1, close);
            out += `\\${next}{${/^(L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co)$/.test(name) ? name : `Script=${name}`}}`;
            i = close + 1;
          } else {
            out += `\\${next}{${pattern[i] ?? ""}}`;
            i += 1;
          }
          continue;
        }
        case "d":
        case "D":
        case "w":
        case "W":
        case "b":
        case "B":
        case "t":
        case "n":
        case "r":
        case "f":
        case "v":
          out += `\\${next}`;
          continue;
        case "a":
          out += "\\x07";
          continue;
        default:
          if (/[0-7]/.test(next)) {
            // Octal: \0, \012 (Go allows up to three digits; JavaScript's u mode has none).
            let digits = next;
            while (digits.length < 3 && /[0-7]/.test(pattern[i] ?? "")) digits += pattern[i++];
            out += `\\u{${Number.parseInt(digits, 8).toString(16)}}`;
            continue;
          }
          if (/[A-Za-z0-9]/.test(next)) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: unknown escape \\${next}`);
          out += escapeLiteral(next, inClass);
          continue;
      }
    }
    if (inClass) {
      if (ch === "[" && pattern[i + 1] === ":") {
        const close = pattern.indexOf(":]", i + 2);
        const negated = pattern[i + 2] === "^";
        const name = pattern.slice(i + (negated ? 3 : 2), close);
        const set = POSIX[name];
        if (close < 0 || set === undefined) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: unknown POSIX class`);
        if (negated) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: negated POSIX class inside a class`);
        out += set;
        i = close + 2;
        continue;
      }
      if (ch === "]") inClass = false;
      out += ch === "[" ? "\\[" : ch;
      i++;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += "[";
      i++;
      if (pattern[i] === "^") {
        out += "^";
        i++;
      }
      // A "]" first in a class is a literal in RE2.
      if (pattern[i] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (ch === "(" && pattern[i + 1] === "?") {
      if (pattern.startsWith("(?P<", i)) {
        out += "(?<";
        i += 4;
        continue;
      }
      if (pattern.startsWith("(?:", i) || pattern.startsWith("(?<", i)) {
        out += pattern.slice(i, i + 3);
        i += 3;
        continue;
      }
      throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: inline flags are only supported at the start`);
    }
    if (ch === ".") {
      out += dotAll ? "[^]" : "[^\\n]";
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  if (inClass) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}: unterminated class`);
  try {
    return new RegExp(out, flags);
  } catch (cause) {
    throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)} does not compile as ${out}: ${String(cause)}`);
  }
}
