import { createMuxCache, MuxCacheError, type MuxCacheErrorDetails, type MuxCacheOptions } from "@xdskit/cache-mux";
import { createSnapshotCache } from "@xdskit/cache-snapshot";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<MuxCacheOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<MuxCacheErrorDetails>>().toEqualTypeOf<never>();
  });

  it("`logger: cond ? console : undefined` and friends compile", () => {
    const snapshots = createSnapshotCache();
    const mux = createMuxCache({
      fallback: cond ? snapshots : undefined,
      caches: cond ? undefined : { x: snapshots },
      logger: cond ? console : undefined,
      classify: undefined,
      classifyDelta: undefined,
    });
    expectTypeOf(mux.keys).toEqualTypeOf<readonly string[]>();
    expectTypeOf(new MuxCacheError("x", { typeUrl: "t", cacheKey: cond ? "k" : undefined }).cacheKey).toEqualTypeOf<string | undefined>();
  });
});
