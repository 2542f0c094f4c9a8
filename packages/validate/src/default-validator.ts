import { envoyRegistry } from "@xdskit/envoy-api/registry";
import { createValidator as createValidatorOver, type Validator, type ValidatorOptions } from "./create-validator.js";

/**
 * Makes a validator. Rules are compiled per message type on first use and shared by every
 * validator with the same registry. Without `registry`, `Any` contents are looked up in
 * `envoyRegistry` (the whole Envoy API: importing this module loads it; `@xdskit/validate/core`
 * has the same function without that default).
 */
export function createValidator(options: ValidatorOptions = {}): Validator {
  return createValidatorOver({ ...options, registry: options.registry ?? envoyRegistry });
}
