import { create } from "@bufbuild/protobuf";
import type { LogFields, Logger } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { createValidator, ValidationError } from "@xdskit/validate";
import { describe, expect, it } from "vitest";

const assignment = (clusterName: string, port: number) =>
  create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: "10.0.0.1", portSpecifier: { case: "portValue", value: port } } } } } } }] }],
  });

function recordingLogger(): Logger & { warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const none = () => {};
  return { warnings, debug: none, info: none, error: none, warn: (message, fields) => warnings.push([message, fields]) };
}

describe("linear cache validation", () => {
  const validator = createValidator();

  it("refuses an update holding an invalid resource, naming every violation, and applies none of it", () => {
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, validate: validator, initialResources: [assignment("a", 80)] });
    const before = cache.version();
    let refused: unknown;
    try {
      // port_value must be at most 65535 (a PGV rule), and so in both.
      cache.updateResources([assignment("a", 81), assignment("b", 70_000), assignment("c", 99_999)]);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    const violations = (refused as ValidationError).violations;
    expect(violations.map((v) => [v.resourceName, v.rule])).toEqual([
      ["b", "uint32.lte"],
      ["c", "uint32.lte"],
    ]);
    expect(violations[0]?.field).toBe("endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value");
    expect(cache.version()).toBe(before);
    expect(cache.getResource("a")?.message).toEqual(assignment("a", 80));
    expect(cache.getResource("b")).toBeUndefined();
    expect(cache.updateResource(assignment("a", 81))).toBe(true);
  });

  it("refuses invalid initial resources at creation", () => {
    expect(() => createLinearCache({ schema: ClusterLoadAssignmentSchema, validate: validator, initialResources: [assignment("x", 70_000)] })).toThrow(ValidationError);
  });

  it("in warn mode logs and applies the update", () => {
    const logger = recordingLogger();
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, validate: { validator, mode: "warn" }, logger });
    expect(cache.updateResource(assignment("b", 70_000))).toBe(true);
    expect(cache.getResource("b")).toBeDefined();
    expect(logger.warnings.map(([message]) => message)).toEqual([
      'resource "b" of "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment" breaks 1 rule; served anyway (validate mode "warn")',
    ]);
  });
});
