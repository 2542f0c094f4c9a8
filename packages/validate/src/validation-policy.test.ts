import { fileURLToPath } from "node:url";
import type { LogFields, Logger } from "@xdskit/cache-core";
import { modulesLoadedBy } from "@xdskit/test-support";
import { describe, expect, it } from "vitest";
import { createValidator, enforceValidation, resolveValidationPolicy, ValidationError, type Violation } from "./index.js";

const violation = (field: string): Violation => ({ typeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster", resourceName: "c", field, rule: "string.min_len", message: "too short" });

function recordingLogger(): Logger & { warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const none = () => {};
  return { warnings, debug: none, info: none, error: none, warn: (message, fields) => warnings.push([message, fields]) };
}

describe("validation policy", () => {
  it("reads a validator as refuse, and a validator with a mode as that mode; undefined is off", () => {
    const validator = createValidator();
    expect(resolveValidationPolicy(validator)).toEqual({ validator, mode: "refuse" });
    expect(resolveValidationPolicy({ validator, mode: "warn" })).toEqual({ validator, mode: "warn" });
    expect(resolveValidationPolicy(undefined)).toBeUndefined();
  });

  it("refuses with a ValidationError listing every violation, warns with the first 20 and a count, passes a valid result", () => {
    const logger = recordingLogger();
    const many = Array.from({ length: 25 }, (_, i) => violation(`f${i}`));
    expect(() => enforceValidation({ ok: false, violations: many }, "refuse", logger, "snapshot for n")).toThrow(ValidationError);
    try {
      enforceValidation({ ok: false, violations: many }, "refuse", logger, "snapshot for n");
    } catch (error) {
      expect((error as ValidationError).violations).toHaveLength(25);
      expect((error as ValidationError).code).toBe("invalid-resource");
    }
    enforceValidation({ ok: false, violations: many }, "warn", logger, "snapshot for n");
    expect(logger.warnings).toHaveLength(1);
    const [message, fields] = logger.warnings[0] ?? [];
    expect(message).toBe('snapshot for n breaks 25 rules; served anyway (validate mode "warn")');
    expect(fields?.violations).toHaveLength(20);
    expect(fields?.more).toBe(5);
    enforceValidation({ ok: true, violations: [] }, "refuse", logger, "x");
    expect(logger.warnings).toHaveLength(1);
  });

  it("@xdskit/validate/policy and /core load far less of the Envoy API than the root, which loads the whole registry", async () => {
    const pkgDir = fileURLToPath(new URL("..", import.meta.url));
    // Counts modules under envoy-api's generated tree loaded by one import, in a fresh process.
    const count = async (specifier: string): Promise<number> =>
      (await modulesLoadedBy(`await import(${JSON.stringify(specifier)});`, { cwd: pkgDir })).filter((u) => u.includes("/envoy-api/dist/gen/")).length;
    const [light, core, cacheCore, full] = await Promise.all([
      count("@xdskit/validate/policy"),
      count("@xdskit/validate/core"),
      count("@xdskit/cache-core"),
      count("@xdskit/validate"),
    ]);
    expect(light).toBe(cacheCore);
    expect(core).toBeLessThan(cacheCore + 20);
    expect(full).toBeGreaterThan(700);
  }, 60_000);
});
