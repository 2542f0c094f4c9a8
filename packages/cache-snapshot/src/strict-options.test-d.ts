import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import {
  createSnapshot,
  createSnapshotCache,
  type SnapshotCacheOptions,
  SnapshotError,
  type SnapshotErrorDetails,
  type SnapshotOptions,
} from "@xdskit/cache-snapshot";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<SnapshotOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<SnapshotCacheOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<SnapshotErrorDetails>>().toEqualTypeOf<never>();
  });

  it("`logger: cond ? console : undefined` and friends compile", () => {
    const cache = createSnapshotCache({
      logger: cond ? console : undefined,
      ads: cond ? true : undefined,
      heartbeatIntervalMs: cond ? 1_000 : undefined,
      nodeHash: undefined,
      types: undefined,
    });
    const snapshot = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [create(ClusterSchema, { name: "a" })] }, { ttlMs: cond ? {} : undefined, types: undefined, registry: undefined });
    snapshot.consistent({ externalTypes: cond ? [ENDPOINT_TYPE_URL] : undefined, types: undefined, references: undefined });
    cache.setSnapshot("n1", snapshot);
    expectTypeOf(new SnapshotError("inconsistent", "x", { resourceNames: cond ? ["a"] : undefined }).resourceNames).toEqualTypeOf<readonly string[]>();
  });
});
