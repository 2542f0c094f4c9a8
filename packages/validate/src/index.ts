export { builtinResourceChecks, builtinSnapshotChecks } from "./builtin-checks.js";
export { createValidator } from "./default-validator.js";
export type {
  ReferenceOptions,
  ResourceInput,
  ResourcesByType,
  Validator,
  ValidatorOptions,
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
