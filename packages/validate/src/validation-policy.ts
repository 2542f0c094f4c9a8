import type { Logger } from "@xdskit/cache-core";
import type { Validator } from "./create-validator.js";
import { ValidationError } from "./validation-error.js";
import { formatViolation, type ValidationResult } from "./violation.js";

/** What to do with resources that break rules: `refuse` them (throw), or `warn` (log) and go on. */
export type ValidationMode = "refuse" | "warn";

/**
 * The `validate` option of the caches and the etcd store: a validator (which refuses invalid
 * resources), or a validator with the mode to apply.
 */
export type ValidationPolicy = Validator | { readonly validator: Validator; readonly mode: ValidationMode };

/** A {@link ValidationPolicy} taken apart. */
export interface ResolvedValidationPolicy {
  /** The validator to apply. */
  readonly validator: Validator;
  /** What to do with a violation: refuse the update, or log it and serve. */
  readonly mode: ValidationMode;
}

// A warning lists this many violations, then a count.
const LOGGED = 20;

/** Reads a `validate` option: `undefined` when validation is off. */
export function resolveValidationPolicy(policy: ValidationPolicy | undefined): ResolvedValidationPolicy | undefined {
  if (policy === undefined) return undefined;
  if ("validator" in policy) return { validator: policy.validator, mode: policy.mode };
  return { validator: policy, mode: "refuse" };
}

/**
 * Applies a policy to a result: nothing when it is valid; in `refuse` mode throws a
 * {@link ValidationError} listing every violation; in `warn` mode logs them (the first 20 and a
 * count) at warn under `what` (such as "snapshot for node-1") and returns.
 *
 * @throws {ValidationError} in `refuse` mode, for a result with violations.
 */
export function enforceValidation(result: ValidationResult, mode: ValidationMode, logger: Logger, what: string): void {
  if (result.ok) return;
  const violations = result.violations;
  if (mode === "refuse") throw new ValidationError(violations);
  logger.warn(`${what} breaks ${violations.length === 1 ? "1 rule" : `${violations.length} rules`}; served anyway (validate mode "warn")`, {
    violations: violations.slice(0, LOGGED).map(formatViolation),
    ...(violations.length > LOGGED ? { more: violations.length - LOGGED } : {}),
  });
}
