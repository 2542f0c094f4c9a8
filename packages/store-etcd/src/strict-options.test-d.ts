import type { Etcd3 } from "etcd3";
import { describe, expectTypeOf, it } from "vitest";
import type {
  EtcdClientOptions,
  EtcdMirrorOptions,
  EtcdStoreErrorDetails,
  EtcdWriterOptions,
  LinearMirrorOptions,
  ResourceCodecOptions,
  SnapshotMirrorOptions,
} from "./index.js";
import { createEtcdWriter, EtcdStoreError } from "./index.js";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;
declare const client: Etcd3;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<EtcdClientOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EtcdWriterOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<ResourceCodecOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EtcdMirrorOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<SnapshotMirrorOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<LinearMirrorOptions>>().toEqualTypeOf<never>();
    expectTypeOf<RefusingUndefined<EtcdStoreErrorDetails>>().toEqualTypeOf<never>();
  });

  it("`option: cond ? value : undefined` compiles", () => {
    createEtcdWriter({ client, prefix: cond ? "/p/" : undefined, maxTxnOps: undefined, validate: undefined, logger: undefined });
    expectTypeOf(new EtcdStoreError("conflict", "x", { key: cond ? "k" : undefined }).key).toEqualTypeOf<string | undefined>();
  });
});
