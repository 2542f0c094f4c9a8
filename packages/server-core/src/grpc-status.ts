/**
 * gRPC status codes by name. The numbers are the wire values, equal to
 * `Code` of `@connectrpc/connect`, so a server package converts with
 * `new ConnectError(message, status)` without server-core depending on Connect.
 */
export const GrpcStatus = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);

/** A gRPC status code number (0–16). */
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** Whether a value is a gRPC status code number. */
export function isGrpcStatusCode(value: unknown): value is GrpcStatusCode {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 16;
}
