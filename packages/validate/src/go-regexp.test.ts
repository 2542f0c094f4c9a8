// Patterns (and the well-known header formats, strict and not) match the same strings in our
// JavaScript translation as in Go's regexp, which the generated Go code uses.
import { getOption, hasOption, type DescMessage } from "@bufbuild/protobuf";
import { envoyFiles } from "@xdskit/envoy-api/registry";
import { rules, type FieldRules, type StringRules } from "@xdskit/envoy-api/validate/validate_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGoRegexp, UnsupportedPatternError } from "./go-regexp.js";
import { HEADER_STRING, HTTP_HEADER_NAME, HTTP_HEADER_VALUE } from "./string-rules.js";
import { goRegexpMatches } from "./test-support/go-peer.js";

function registryPatterns(): string[] {
  const found = new Set<string>();
  const visit = (m: DescMessage): void => {
    for (const f of m.fields) {
      if (!hasOption(f, rules)) continue;
      const r: FieldRules = getOption(f, rules);
      const candidates: (StringRules | undefined)[] = [];
      if (r.type.case === "string") candidates.push(r.type.value);
      if (r.type.case === "repeated" && r.type.value.items?.type.case === "string") candidates.push(r.type.value.items.type.value);
      if (r.type.case === "map") {
        if (r.type.value.keys?.type.case === "string") candidates.push(r.type.value.keys.type.value);
        if (r.type.value.values?.type.case === "string") candidates.push(r.type.value.values.type.value);
      }
      for (const s of candidates) if (s?.pattern !== undefined && s.pattern !== "") found.add(s.pattern);
    }
    for (const n of m.nestedMessages) visit(n);
  };
  for (const file of envoyFiles) for (const m of file.messages) visit(m);
  return [...found];
}

// RE2 syntax the translation handles beyond what Envoy's protos use.
const SYNTAX = [
  "\\Aab\\z",
  "^\\Qa.b*\\E$",
  "(?i)^abc$",
  "^[[:alpha:]]+[[:digit:]]*$",
  "^\\x{41}\\x42$",
  "^\\pL+$",
  "^\\p{Greek}*$",
  "^a.c$",
  "(?s)^a.c$",
  "^[^\\s]*$",
  "^\\S+\\s\\S+$",
  "^(?P<word>\\w+)-(?:\\d{2,3})$",
  "^\\101$",
  "^[]a]+$",
  "^a\\-b\\,c$",
];

const CHARS = ["a", "b", "c", "A", "z", "0", "9", "-", "_", ".", ",", ":", ";", " ", "\t", "\n", "\r", "\v", "\f", "\u0000", "\u0001", "\u001f", "\u007f", '"', "\\", "<", "/", "?", "#", "é", "Ω", "😀", "\u2028", "`", "~", "%"];

describe("Go regexp semantics", () => {
  it("every pattern in the registry, and the header formats, match what Go matches", async () => {
    const patterns = [...registryPatterns(), HTTP_HEADER_NAME, HTTP_HEADER_VALUE, HEADER_STRING, ...SYNTAX];
    expect(patterns.length).toBeGreaterThan(20);
    const inputs = fc.sample(fc.array(fc.constantFrom(...CHARS), { maxLength: 12 }).map((cs) => cs.join("")), { seed: 7, numRuns: 400 });
    inputs.push("", "abc", "ABC", "a.c", "a\nc", "a\rc", "x-envoy-upstream", ":authority", "cookie_path.mmdb", "/valid/path", "AB", "a-b,c", "word-123");
    const cases = patterns.flatMap((pattern) => inputs.map((input) => ({ pattern, input })));
    const go = await goRegexpMatches(cases);
    const differ: string[] = [];
    for (const [i, c] of cases.entries()) {
      const ours = compileGoRegexp(c.pattern).test(c.input);
      if (ours !== go[i]) differ.push(`${JSON.stringify(c.pattern)} on ${JSON.stringify(c.input)}: go ${go[i]}, ours ${ours}`);
    }
    expect(differ.slice(0, 10)).toEqual([]);
  });

  it("refuses what JavaScript cannot express the same way", () => {
    for (const p of ["(?U)a+", "a(?i)b", "[\\S]", "\\C"]) expect(() => compileGoRegexp(p), p).toThrow(UnsupportedPatternError);
  });
});
