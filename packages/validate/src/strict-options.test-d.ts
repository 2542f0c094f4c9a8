import { createValidator, type ReferenceOptions, type ValidatorOptions } from "@xdskit/validate";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<ValidatorOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ReferenceOptions>>().toEqualTypeOf<never>();
  });

  it("`maxDepth: cond ? 50 : undefined` and friends compile", () => {
    const validator = createValidator({ maxDepth: cond ? 50 : undefined, references: cond ? { unused: cond ? true : undefined } : undefined });
    expectTypeOf(validator.validateSnapshot({}).ok).toEqualTypeOf<boolean>();
  });
});
