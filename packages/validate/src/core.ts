// @xdskit/validate/core: everything the package root has, without loading the whole Envoy API:
// `createValidator` here needs a `registry` (the types of the Any contents to validate). For
// libraries that validate what they build (resource-builders) and programs that start fast.
export { builtinResourceChecks, builtinSnapshotChecks } from "./builtin-checks.js";
export {
  createValidator,
  type ReferenceOptions,
  type ResourceInput,
  type ResourcesByType,
  type Validator,
  type ValidatorOptions,
} from "./create-validator.js";
export type { ResourceCheck, ResourceProblem, SnapshotCheck, SnapshotProblem, SnapshotSummary, SnapshotView, SummaryView } from "./semantic-check.js";
export { ValidationError } from "./validation-error.js";
export {
  enforceValidation,
  type ResolvedValidationPolicy,
  resolveValidationPolicy,
  type ValidationMode,
  type ValidationPolicy,
} from "./validation-policy.js";
export { formatViolation, type ValidationResult, type Violation } from "./violation.js";
