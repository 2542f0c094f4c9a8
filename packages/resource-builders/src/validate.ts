import { isIP } from "node:net";
import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration } from "@bufbuild/protobuf/wkt";
import { BuilderError, type BuilderErrorCode } from "./builder-error.js";

// Internal checks shared by the builders; every failure is a BuilderError
// that names the resource being built and the offending field.

/** The resource a check runs for. */
export interface Subject {
  readonly resourceType: string;
  readonly resourceName?: string | undefined;
}

export function subject(resourceType: string, resourceName: unknown): Subject {
  return typeof resourceName === "string" && resourceName.trim() !== "" ? { resourceType, resourceName } : { resourceType };
}

export function fail(s: Subject, code: BuilderErrorCode, field: string | undefined, message: string, cause?: unknown): never {
  throw new BuilderError(code, message, {
    ...s,
    ...(field === undefined ? {} : { field }),
    ...(cause === undefined ? {} : { cause }),
  });
}

export function checkName(s: Subject, field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") fail(s, "invalid-name", field, `must be a non-empty string, got ${describe(value)}`);
  return value;
}

export function checkPort(s: Subject, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    fail(s, "invalid-port", field, `must be an integer in 1..65535, got ${describe(value)}`);
  }
  return value;
}

/** A host name or IP; with `ipOnly`, an IPv4 or IPv6 literal (what STATIC clusters and listeners need). */
export function checkHost(s: Subject, field: string, value: unknown, ipOnly: boolean): string {
  if (typeof value !== "string" || value.trim() === "") fail(s, "invalid-address", field, `must be a non-empty host, got ${describe(value)}`);
  if (ipOnly && isIP(value) === 0) fail(s, "invalid-address", field, `must be an IP address (Envoy does not resolve names here), got "${value}"`);
  if (!ipOnly && isIP(value) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(value)) {
    fail(s, "invalid-address", field, `is neither an IP address nor a DNS name: "${value}"`);
  }
  return value;
}

/** An integer in [min, max]. */
export function checkInt(s: Subject, field: string, value: unknown, min: number, max = 0xffffffff): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(s, "invalid-value", field, `must be an integer in ${min}..${max}, got ${describe(value)}`);
  }
  return value;
}

/** A whole number of milliseconds as a Duration; `min` is the smallest allowed value. */
export function durationMs(s: Subject, field: string, value: unknown, min = 0): Duration {
  const ms = checkInt(s, field, value, min, Number.MAX_SAFE_INTEGER);
  return create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
}

export function checkPem(s: Subject, field: string, value: unknown, label: RegExp): string {
  if (typeof value !== "string" || !/-----BEGIN [A-Z0-9 ]+-----/.test(value)) {
    fail(s, "invalid-value", field, "must be inline PEM text (-----BEGIN …-----)");
  }
  const m = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(value);
  if (!label.test(m?.[1] ?? "")) fail(s, "invalid-value", field, `has an unexpected PEM block "${m?.[1] ?? ""}"`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return value === null ? "null" : typeof value;
}
