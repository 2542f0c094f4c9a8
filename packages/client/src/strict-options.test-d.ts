import type { Transport } from "@connectrpc/connect";
import { type AcceptedState, createXdsClient, type XdsClientOptions } from "@xdskit/client";
import { describe, expectTypeOf, it } from "vitest";

// Type-level tests: checked by tsc under exactOptionalPropertyTypes, never run.

type OptionalKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? K : never }[keyof T];
/** The optional properties of T that refuse an explicit `undefined` (never when there are none). */
type RefusingUndefined<T> = { [K in OptionalKeys<T>]-?: undefined extends Required<T>[K] ? never : K }[OptionalKeys<T>];

declare const cond: boolean;
declare const transport: Transport;

describe("option types under exactOptionalPropertyTypes", () => {
  it("every optional property accepts undefined", () => {
    expectTypeOf<RefusingUndefined<XdsClientOptions>>().toEqualTypeOf<never>();
  });

  it("`logger: cond ? console : undefined` and friends compile; state() is the AcceptedState", () => {
    const client = createXdsClient({
      transport,
      node: { id: "n1" },
      logger: cond ? console : undefined,
      protocol: cond ? "delta" : undefined,
      autoAck: cond ? false : undefined,
    });
    expectTypeOf(client.state("t")).toEqualTypeOf<AcceptedState>();
  });
});
