import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnvoyYamlFully } from "./envoy-yaml.js";
import { parseFastYaml } from "./fast-yaml.js";

// The fast reader must give what the full parser (js-yaml + Envoy's scalar rules) gives, or give up.
const full = (text: string): unknown[] | undefined => {
  const r = parseEnvoyYamlFully(text);
  return r.error === undefined ? r.documents : undefined;
};

const samples = [
  "a: 1\nb: [x, 'y', \"z\\n\"]\nc: {d: ~, e: yes, f: Off, g: 0x10, h: 010, i: 1.5, j: 99999999999}\n",
  "- name: a\n  list:\n  - 1\n  - two\n  -\n    k: v\n- name: b # comment\n  empty:\n",
  "top:\n  - a\n  - b\nnext: \"q: #\"\n---\nsecond: doc\n---\n",
  "key with spaces: value with spaces\n'quoted key': \"\\u00e9\"\nurl: http://x:80/a#frag\n",
  "seq:\n- - a\n  - b\n- c\n",
  "m: {a: {b: [1, {c: d}]}, e: []}\n",
  "NO: No\nTrue: TRUE\nx: tRUE\nn: -0\np: +5\nbig: 0xFFFFFFFFFFFFFFFF\n",
  "__proto__: {a: 1}\n",
];

// Given up on (left to the full parser): anchors, block scalars, tags, multi-line flows, tabs.
const hard = ["a: &x {b: 1}\nc: *x\n", "a: |\n  text\n", "a: !!str 5\n", "a: [1,\n  2]\n", "a:\n\tb: 1\n", "? complex\n: key\n"];

const scalar = fc.oneof(
  fc.constantFrom("true", "No", "null", "~", "0x1f", "017", "-12", "1e3", ".inf", "round_robin", "0.0.0.0", "a b", "x:y", "-", "1s"),
  fc.integer().map(String),
  fc.string({ unit: fc.constantFrom("a", "b", "Z", "1", " ", "_", ".", "/", "-", ":", "#", "'", '"', "é") }).map((s) => JSON.stringify(s)),
);

const node: fc.Memo<string> = fc.memo((depth) =>
  depth <= 1
    ? scalar
    : fc.oneof(
        scalar,
        fc.array(node(depth - 1), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
        fc.dictionary(fc.constantFrom("k", "name", "type", "x_y"), node(depth - 1), { maxKeys: 3 }).map((m) =>
          `{${Object.entries(m)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")}}`,
        ),
      ),
);

/** Block YAML of a value tree, as a generator of ours would write it. */
const block: fc.Memo<{ kind: "map" | "seq"; lines: string[] }> = fc.memo((depth) => {
  const leaf = node(2);
  const child = depth <= 1 ? leaf.map((v) => ({ inline: v })) : fc.oneof(leaf.map((v) => ({ inline: v })), block(depth - 1).map((b) => ({ b })));
  const indent = (lines: string[], n: string) => lines.map((l) => n + l);
  const map = fc.uniqueArray(fc.tuple(fc.constantFrom("a", "bb", "name", "type", "port_value", "@x"), child), { selector: ([k]) => k, minLength: 1, maxLength: 4 }).map((entries) => ({
    kind: "map" as const,
    lines: entries.flatMap(([k, c]) => {
      const key = k.startsWith("@") ? `"${k}"` : k;
      if ("inline" in c) return [`${key}: ${c.inline}`];
      return [`${key}:`, ...indent(c.b.lines, c.b.kind === "seq" ? "" : "  ")];
    }),
  }));
  const seq = fc.array(child, { minLength: 1, maxLength: 4 }).map((items) => ({
    kind: "seq" as const,
    lines: items.flatMap((c) => {
      if ("inline" in c) return [`- ${c.inline}`];
      const [first, ...rest] = c.b.lines;
      return [`- ${first}`, ...indent(rest, "  ")];
    }),
  }));
  return fc.oneof(map, seq);
});

describe("parseFastYaml", () => {
  it.each(samples)("reads %j as the full parser does", (text) => {
    expect(parseFastYaml(text)).toEqual(full(text));
  });

  it.each(hard)("leaves %j to the full parser", (text) => {
    expect(parseFastYaml(text)).toBeUndefined();
  });

  it("agrees with the full parser on generated block YAML", () => {
    fc.assert(
      fc.property(block(4), (b) => {
        const text = `${b.lines.join("\n")}\n`;
        const fast = parseFastYaml(text);
        if (fast !== undefined) expect(fast).toEqual(full(text));
      }),
      { numRuns: 400 },
    );
  });

  it("reads most generated block YAML itself (the fast path is the common path)", () => {
    let read = 0;
    fc.assert(
      fc.property(block(3), (b) => {
        if (parseFastYaml(`${b.lines.join("\n")}\n`) !== undefined) read++;
      }),
      { numRuns: 200, seed: 7 },
    );
    expect(read).toBeGreaterThan(150);
  });
});
