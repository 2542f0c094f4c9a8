import { create } from "@bufbuild/protobuf";
import {
  type CacheErrorDetails,
  type ConsistencyOptions,
  CacheError,
  createSubscription,
  findInconsistencies,
  type MarshalOptions,
  marshalDeterministic,
  type PrepareResourceOptions,
  prepareRawResource,
  prepareResource,
  type RawResourceInit,
  type ResourceTypeOptions,
  resourceName,
  type SubscriptionOptions,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<PrepareResourceOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<RawResourceInit>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ResourceTypeOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<SubscriptionOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<MarshalOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ConsistencyOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<CacheErrorDetails>>().toEqualTypeOf<never>();
  });

  it("`option: cond ? value : undefined` compiles", () => {
    const cluster = create(ClusterSchema, { name: "a" });
    prepareResource(ClusterSchema, cluster, { name: cond ? "b" : undefined, ttlMs: cond ? 1 : undefined, types: undefined, registry: undefined });
    prepareRawResource({ typeUrl: "t", name: "n", bytes: new Uint8Array(), ttlMs: cond ? 1 : undefined });
    resourceName(ClusterSchema, cluster, { typeUrl: cond ? "t" : undefined, types: undefined });
    createSubscription({ resourceNames: cond ? ["a"] : undefined, returnedResources: undefined, allowLegacyWildcard: cond ? false : undefined });
    marshalDeterministic(ClusterSchema, cluster, { registry: undefined });
    findInconsistencies([], { externalTypes: cond ? ["t"] : undefined, types: undefined, references: undefined });
    expectTypeOf(new CacheError("unknown-type", "x", { typeUrl: cond ? "t" : undefined, field: undefined }).field).toEqualTypeOf<string | undefined>();
  });
});
