import { PermissionSchema } from "@xdskit/envoy-api/envoy/config/rbac/v3/rbac_pb";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { describe, expect, it } from "vitest";
import { decodeMessage, lazyEnvoyRegistry } from "./index.js";

const registry = lazyEnvoyRegistry();
const problemsOf = (problems: readonly { path: string; message: string }[]): string[] => problems.map((p) => `${p.path}: ${p.message}`);

// The keys that set one field twice, or two members of one oneof, are reported where they are,
// whichever objects of the same type are read before, between or inside.
describe("fields set twice", () => {
  it("reports a field written under its proto and its JSON name", () => {
    const r = decodeMessage(ClusterSchema, { name: "a", connect_timeout: "1s", connectTimeout: "2s" }, { registry });
    expect(problemsOf(r.problems)).toEqual(['connectTimeout: "connectTimeout" sets connect_timeout again (also set as "connect_timeout")']);
  });

  it("reports two members of a oneof, in an object holding objects of its own type, and not in siblings that set one each", () => {
    const json = {
      and_rules: {
        rules: [{ any: true }, { destination_port: 80 }, { any: true, destination_port: 443 }, { or_rules: { rules: [{ any: true }, { any: true }] } }],
      },
      any: true,
    };
    const r = decodeMessage(PermissionSchema, json, { registry });
    expect(problemsOf(r.problems)).toEqual([
      'and_rules.rules[2].destination_port: "destination_port" and "any" are both set, but only one of rule can be',
      'any: "any" and "and_rules" are both set, but only one of rule can be',
    ]);
  });

  it("reads the next objects of a type as fresh after one with problems", () => {
    const bad = decodeMessage(PermissionSchema, { any: true, destination_port: 80 }, { registry });
    expect(bad.problems).not.toHaveLength(0);
    for (let i = 0; i < 3; i++) {
      const good = decodeMessage(PermissionSchema, { and_rules: { rules: [{ any: true }, { destination_port: 80 }] } }, { registry });
      expect(good.problems).toEqual([]);
    }
  });
});
