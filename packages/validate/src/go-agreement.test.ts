// @xdskit/validate and go-control-plane's ValidateAll() side by side on thousands of resources
// made by breaking valid ones: every resource one rejects, the other rejects, at the same paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createValidator, type Violation } from "./index.js";
import { goCheck } from "./test-support/go-peer.js";
import { mutate, type Mutation } from "./test-support/mutate.js";
import { asAny, validResources, type TypedResource } from "./test-support/resources.js";

const bases: TypedResource[] = Array.from({ length: 8 }, (_, i) => validResources(i)).flat();

const mutation: fc.Arbitrary<Mutation> = fc.record({ site: fc.nat(), kind: fc.nat(), seed: fc.nat() });
const corpusArb = fc.record({ base: fc.nat({ max: bases.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }) });

/**
 * Where we knowingly report more than go-control-plane, and why (see the README):
 * ExtensionConfigSource.config_source has `any` rules although it is a ConfigSource, so the
 * generated Go code checks its presence and never validates the ConfigSource itself; we do.
 */
const GOES_FURTHER = [/(^|\.)config_discovery\.config_source\./];

function paths(violations: readonly { field?: string; path?: string }[]): string[] {
  return violations.map((v) => v.field ?? v.path ?? "").sort();
}

describe("agreement with go-control-plane's ValidateAll()", () => {
  it("finds the same violations at the same paths on a mutated corpus of 5,000+ resources", async () => {
    const samples = fc.sample(corpusArb, { seed: 20261129, numRuns: 5200 });
    const corpus = [...bases, ...samples.map((s) => mutate(bases[s.base] as TypedResource, s.mutations))];
    const go = await goCheck(corpus.map(asAny));
    expect(go).toHaveLength(corpus.length);
    // PGV rules only: the snapshot-level checks go beyond what go-control-plane checks.
    const objects = createValidator({ resourceChecks: [], snapshotChecks: [] });
    const interpreted = createValidator({ generateCode: false, resourceChecks: [], snapshotChecks: [] });
    const disagreements: string[] = [];
    let rejected = 0;
    const rules = new Map<string, number>();
    for (const [i, r] of corpus.entries()) {
      // Let the test worker answer vitest's RPC between chunks (a long synchronous loop on a loaded
      // machine times it out).
      if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
      const verdict = go[i];
      if (verdict === undefined) throw new Error(`no verdict for ${i}`);
      const want = paths(verdict.violations);
      const bytes = asAny(r).value;
      const ours: [string, readonly Violation[]][] = [
        ["objects", objects.validateResource(r.typeUrl, "", r.message).violations],
        ["bytes", objects.validateResource(r.typeUrl, "", bytes).violations],
        ["interpreted objects", interpreted.validateResource(r.typeUrl, "", r.message).violations],
        ["interpreted bytes", interpreted.validateResource(r.typeUrl, "", bytes).violations],
      ];
      if (want.length > 0) rejected++;
      for (const v of ours[0]?.[1] ?? []) rules.set(v.rule, (rules.get(v.rule) ?? 0) + 1);
      for (const [how, found] of ours) {
        const got = paths(found.filter((v) => !GOES_FURTHER.some((re) => re.test(v.field))));
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          disagreements.push(`#${i} ${r.typeUrl} (${how}):\n  go:   ${JSON.stringify(verdict.violations)}\n  ours: ${JSON.stringify(found.map((v) => [v.field, v.rule, v.message]))}`);
          break;
        }
      }
    }
    console.log(`corpus ${corpus.length} resources, ${rejected} rejected by Go, ${disagreements.length} disagreements`);
    console.log(`rules hit: ${[...rules].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(", ")}`);
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(rejected).toBeGreaterThan(corpus.length / 2);
  });
});
