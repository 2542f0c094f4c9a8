import { create, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { RuntimeSchema, type Runtime } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { checkName, fail, subject, type Subject } from "./validate.js";

/** Options of {@link runtime}. */
export interface RuntimeOptions {
  /** The RTDS layer name, as the bootstrap's `rtds_layer.name` asks for it. */
  readonly name: string;
  /**
   * Runtime keys and values. Nested objects are flattened by Envoy into
   * dotted keys (`{a: {b: 1}}` is `a.b = 1`).
   */
  readonly layer: Readonly<Record<string, JsonValue>>;
}

/** An RTDS resource: one runtime layer. */
export function runtime(opts: RuntimeOptions): Runtime {
  const s = subject("Runtime", opts.name);
  const name = checkName(s, "name", opts.name);
  if (typeof opts.layer !== "object" || opts.layer === null || Array.isArray(opts.layer)) {
    fail(s, "invalid-value", "layer", "must be an object of runtime keys");
  }
  return create(RuntimeSchema, { name, layer: checkObject(s, "layer", opts.layer) });
}

function checkObject(s: Subject, at: string, obj: Readonly<Record<string, JsonValue>>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === "") fail(s, "invalid-value", at, "runtime keys must not be empty");
    out[key] = checkValue(s, `${at}.${key}`, value);
  }
  return out;
}

function checkValue(s: Subject, at: string, value: unknown): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) fail(s, "invalid-value", at, `must be a finite number, got ${value}`);
      return value;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v, i) => checkValue(s, `${at}[${i}]`, v));
      return checkObject(s, at, value as Record<string, JsonValue>);
    default:
      return fail(s, "invalid-value", at, `must be a JSON value, got ${typeof value}`);
  }
}
