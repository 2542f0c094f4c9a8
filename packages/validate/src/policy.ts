// @xdskit/validate/policy: what the caches and stores need to apply a validator someone else
// made. Light on purpose: it does not load the Envoy registry (the package root does, for the
// default validator), so importing a cache never costs the whole API.
export { ValidationError } from "./validation-error.js";
export {
  enforceValidation,
  type ResolvedValidationPolicy,
  resolveValidationPolicy,
  type ValidationMode,
  type ValidationPolicy,
} from "./validation-policy.js";
export { formatViolation, type ValidationResult, type Violation } from "./violation.js";
export type { ResourceInput, ResourcesByType, Validator } from "./create-validator.js";
