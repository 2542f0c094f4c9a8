import { createLinearCache, LinearCacheError, type LinearCacheErrorDetails, type LinearCacheOptions } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<LinearCacheOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<LinearCacheErrorDetails>>().toEqualTypeOf<never>();
  });

  it("`logger: cond ? console : undefined` and friends compile", () => {
    const cache = createLinearCache({
      schema: ClusterLoadAssignmentSchema,
      logger: cond ? console : undefined,
      versionPrefix: cond ? "eds-" : undefined,
      typeUrl: undefined,
      initialResources: undefined,
      types: undefined,
      registry: undefined,
    });
    expectTypeOf(cache.version()).toEqualTypeOf<string>();
    expectTypeOf(new LinearCacheError("unknown-type", "x", { servedTypeUrl: "t", field: cond ? "type_url" : undefined }).field).toEqualTypeOf<
      string | undefined
    >();
  });
});
