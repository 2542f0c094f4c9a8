// Whatever it is given, the validator answers with violations: never a crash, never a hang.
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { HttpRequestHeaderMatchInputSchema } from "@xdskit/envoy-api/envoy/type/matcher/v3/http_inputs_pb";
import { ClusterSchema, type Cluster_LbPolicy } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { HeaderValueSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { MatcherSchema, type Matcher } from "@xdskit/envoy-api/xds/type/matcher/v3/matcher_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createValidator, ValidationError, type Violation } from "./index.js";
import { mutate } from "./test-support/mutate.js";
import { validResources } from "./test-support/resources.js";

const CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
const validator = createValidator();
const rules = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.field} ${v.rule}`);

describe("bad input", () => {
  it("a message of a type the registry does not know is a violation", () => {
    const r = validator.validateMessage({ $typeName: "example.v1.Unknown" });
    expect(r.ok).toBe(false);
    expect(rules(r.violations)).toEqual([" resource.type"]);
    expect(r.violations[0]?.message).toContain("example.v1.Unknown");
  });

  it("an unknown type URL, and a message given under another type's URL, are violations", () => {
    expect(rules(validator.validateResource("type.googleapis.com/example.Nope", "x", create(ClusterSchema)).violations)).toEqual([" resource.type"]);
    const r = validator.validateResource(CLUSTER, "l", create(ListenerSchema, { name: "l" }));
    expect(rules(r.violations)).toEqual([" resource.type"]);
    expect(r.violations[0]?.message).toContain("envoy.config.listener.v3.Listener");
  });

  it("a cyclic object graph is found and reported, not followed", () => {
    const matcher: Matcher = create(MatcherSchema);
    matcher.onNoMatch = { $typeName: "xds.type.matcher.v3.Matcher.OnMatch", keepMatching: false, onMatch: { case: "matcher", value: matcher } };
    const listener = create(ListenerSchema, { name: "l", filterChainMatcher: matcher });
    const started = Date.now();
    const r = validator.validateResource(LISTENER, "l", listener);
    expect(Date.now() - started).toBeLessThan(2000);
    const depth = r.violations.find((v) => v.rule === "message.depth");
    expect(depth?.message).toContain("contains itself");
    expect(depth?.field.startsWith("filter_chain_matcher.on_no_match.matcher.on_no_match.matcher")).toBe(true);
  });

  it("an object graph that shares sub-messages exponentially is cut off", () => {
    // 20 levels, each listing the next level twice: 2^20 paths through 20 objects.
    const input = { name: "header", typedConfig: anyPack(HttpRequestHeaderMatchInputSchema, create(HttpRequestHeaderMatchInputSchema, { headerName: "x-tenant" })) };
    const predicate = { matchType: { case: "singlePredicate" as const, value: { input, matcher: { case: "valueMatch" as const, value: { matchPattern: { case: "exact" as const, value: "a" } } } } } };
    let level: Matcher = create(MatcherSchema);
    for (let i = 0; i < 20; i++) {
      const onMatch = { onMatch: { case: "matcher" as const, value: level } };
      level = create(MatcherSchema, {
        matcherType: { case: "matcherList", value: { matchers: [{ predicate, onMatch }, { predicate, onMatch }] } },
      });
    }
    const started = Date.now();
    const r = createValidator({ maxMessages: 100_000 }).validateResource(LISTENER, "l", create(ListenerSchema, { name: "l", filterChainMatcher: level }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.violations.some((v) => v.rule === "limit.size")).toBe(true);
  });

  it("nesting deeper than maxDepth is a violation", () => {
    let m: Matcher = create(MatcherSchema, { onNoMatch: { onMatch: { case: "action", value: { name: "a", typedConfig: { typeUrl: "type.googleapis.com/google.protobuf.Empty", value: new Uint8Array() } } } } });
    for (let i = 0; i < 40; i++) m = create(MatcherSchema, { onNoMatch: { onMatch: { case: "matcher", value: m } } });
    const listener = create(ListenerSchema, { name: "l", filterChainMatcher: m });
    const shallow = createValidator({ maxDepth: 50 });
    expect(shallow.validateResource(LISTENER, "l", listener).violations.map((v) => v.rule)).toContain("message.depth");
    expect(shallow.validateResource(LISTENER, "l", toBinary(ListenerSchema, listener)).violations.map((v) => v.rule)).toContain("message.depth");
    expect(validator.validateResource(LISTENER, "l", listener).violations.map((v) => v.rule)).not.toContain("message.depth");
  });

  it("a 10 MB string is checked in linear time and shown shortened", () => {
    const huge = `${"x".repeat(10_000_000)}\n`;
    const started = Date.now();
    const r = validator.validateMessage(create(HeaderValueSchema, { key: huge }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(rules(r.violations)).toEqual(["key string.max_bytes", "key string.well_known_regex"]);
    const shown = String(r.violations[0]?.value);
    expect(shown.length).toBeLessThan(300);
    expect(shown).toContain("10000001 characters");
    const bytes = validator.validateResource("type.googleapis.com/envoy.config.core.v3.HeaderValue", "", toBinary(HeaderValueSchema, create(HeaderValueSchema, { key: huge })));
    expect(rules(bytes.violations)).toEqual(["key string.max_bytes", "key string.well_known_regex"]);
  });

  it("bytes that do not decode are one violation; random bytes never throw", () => {
    expect(rules(validator.validateResource(CLUSTER, "c", new Uint8Array([0x0a, 0x80])).violations)).toEqual([" resource.decode"]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = validator.validateResource(CLUSTER, "c", bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000, seed: 3 },
    );
  });

  it("message objects with wrong JavaScript values never throw, and say where they are wrong", () => {
    const cluster = create(ClusterSchema, { name: "c" });
    const broken = cluster as unknown as Record<string, unknown>;
    broken["name"] = 42;
    broken["healthChecks"] = "not a list";
    broken["loadAssignment"] = "not a message";
    const r = validator.validateResource(CLUSTER, "c", cluster);
    expect(r.ok).toBe(false);
    const found = rules(r.violations);
    expect(found).toContain("health_checks repeated.type");
    expect(found).toContain("load_assignment message.type");
    const bases = validResources(0);
    fc.assert(
      fc.property(fc.nat({ max: bases.length - 1 }), fc.nat(), fc.anything(), (base, site, junk) => {
        const r0 = bases[base];
        if (r0 === undefined) return;
        const m = mutate(r0, [{ site, kind: 0, seed: 0 }]).message as unknown as Record<string, unknown>;
        const keys = Object.keys(m).filter((k) => k !== "$typeName");
        const key = keys[site % keys.length];
        if (key !== undefined) m[key] = junk;
        const result = validator.validateResource(r0.typeUrl, "x", m as never);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 1500, seed: 11 },
    );
  });

  it("at most maxViolations are kept, and the truncation is said", () => {
    const headers = Array.from({ length: 500 }, () => ({ header: { key: "" } }));
    const r = createValidator({ maxViolations: 10 }).validateResource(
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      "r",
      toBinary((await_route()).schema, (await_route()).make(headers)),
    );
    expect(r.violations).toHaveLength(11);
    expect(r.violations.at(-1)?.rule).toBe("limit.violations");
  });

  it("options out of range are refused", () => {
    expect(() => createValidator({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => createValidator({ maxViolations: 1.5 })).toThrow(RangeError);
  });

  it("ValidationError lists the violations and is a CacheError with code invalid-resource", () => {
    const r = validator.validateResource(CLUSTER, "c", create(ClusterSchema, { name: "c", lbPolicy: 99 as Cluster_LbPolicy }));
    expect(r.violations.length).toBeGreaterThan(0);
    const error = new ValidationError(r.violations);
    expect(error.code).toBe("invalid-resource");
    expect(error.resourceName).toBe("c");
    expect(error.violations).toEqual(r.violations);
    expect(error.message).toContain('Cluster "c"');
  });
});

import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
function await_route() {
  return {
    schema: RouteConfigurationSchema,
    make: (headers: { header: { key: string } }[]) => create(RouteConfigurationSchema, { name: "r", responseHeadersToAdd: headers }),
  };
}
