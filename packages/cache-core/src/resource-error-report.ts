import { CacheError } from "./cache-error.js";

/**
 * Why a cache cannot serve one resource name: a gRPC status (`google.rpc.Status`),
 * what xRFC TP3 puts in a response's `resource_errors`. `code` is a
 * `google.rpc.Code` (the numbers of `Code` in `@connectrpc/connect`), not OK.
 * Clients that read the field (gRFC A88) treat NOT_FOUND (5) as "does not
 * exist", PERMISSION_DENIED (7) as a data error, and UNAVAILABLE (14),
 * INTERNAL (13) and UNKNOWN (2) as transient; for "this resource failed
 * validation" INVALID_ARGUMENT (3) is the usual code.
 */
export interface ResourceErrorDetail {
  /** The `google.rpc.Code`, 1 to 16. */
  readonly code: number;
  /** A message for people (logs, CSDS), naming what is wrong. */
  readonly message: string;
}

/** One entry of a response's `resource_errors`: a name and why it is not served. */
export interface ResourceErrorReport extends ResourceErrorDetail {
  /** The resource name, as the client subscribed to it. */
  readonly name: string;
}

/** The largest `google.rpc.Code` (UNAUTHENTICATED). */
const LAST_CODE = 16;

/**
 * A checked, frozen {@link ResourceErrorReport} for `name`: caches call it on
 * what users give them, so a bad code is refused where it is set, not on the wire.
 *
 * @throws {CacheError} `invalid-resource` when `code` is not an integer from 1
 *   to 16 or `message` is not a string, naming the resource and the field.
 */
export function resourceErrorReport(typeUrl: string, name: string, detail: ResourceErrorDetail): ResourceErrorReport {
  const { code, message } = detail;
  if (!Number.isInteger(code) || code < 1 || code > LAST_CODE) {
    throw new CacheError(
      "invalid-resource",
      `the error of resource "${name}" of "${typeUrl}" has code ${String(code)}: a google.rpc.Code from 1 to ${LAST_CODE} is needed (field "code")`,
      { typeUrl, resourceName: name, field: "code" },
    );
  }
  if (typeof message !== "string") {
    throw new CacheError("invalid-resource", `the error of resource "${name}" of "${typeUrl}" has no message (field "message")`, {
      typeUrl,
      resourceName: name,
      field: "message",
    });
  }
  return Object.freeze({ name, code, message });
}
