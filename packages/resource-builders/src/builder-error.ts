/**
 * Why a builder refused its input, as a stable string:
 * - `invalid-name`: a required name is missing or blank.
 * - `invalid-port`: a port is not an integer in 1..65535.
 * - `invalid-address`: a host is empty, or not an IP address where Envoy needs one.
 * - `invalid-value`: any other unusable value (a negative timeout, a zero weight, text that is not PEM, a runtime value that is not JSON).
 * - `missing-field`: something required is absent (a route with no action, a listener with no routes).
 * - `conflicting-fields`: options that exclude each other were both given.
 * - `duplicate`: a value that must be unique is not (virtual-host domains, listener ports, resource names).
 * - `dangling-reference`: a resource refers to another that is not in the set.
 * - `unreferenced`: an endpoint assignment or route configuration in the set that nothing refers to.
 */
export type BuilderErrorCode =
  | "invalid-name"
  | "invalid-port"
  | "invalid-address"
  | "invalid-value"
  | "missing-field"
  | "conflicting-fields"
  | "duplicate"
  | "dangling-reference"
  | "unreferenced";

/** Details attached to a {@link BuilderError}. */
export interface BuilderErrorDetails {
  /** The kind of resource being built, e.g. `Cluster`, `RouteConfiguration`. */
  readonly resourceType: string;
  /** Its name, when known. */
  readonly resourceName?: string | undefined;
  /** The offending option or field path, e.g. `virtualHosts[1].domains[0]`. */
  readonly field?: string | undefined;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * The one error type of `@xdskit/resource-builders`: thrown for input Envoy
 * would reject (NACK) or that cannot be expressed, before any proxy sees it.
 * The message names the resource and the field.
 */
export class BuilderError extends Error {
  /** The class name, for logs. */
  override readonly name = "BuilderError";
  /** What went wrong, as a stable string (see {@link BuilderErrorCode}). */
  readonly code: BuilderErrorCode;
  /** The type of the resource being built, such as `Cluster`. */
  readonly resourceType: string;
  /** The name of the resource being built, when it has one yet. */
  readonly resourceName: string | undefined;
  /** The option at fault, as a path such as `endpoints[0].host`. */
  readonly field: string | undefined;

  constructor(code: BuilderErrorCode, message: string, details: BuilderErrorDetails) {
    const subject = details.resourceName === undefined ? details.resourceType : `${details.resourceType} "${details.resourceName}"`;
    const where = details.field === undefined ? "" : ` ${details.field}`;
    super(`${subject}${where}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.resourceType = details.resourceType;
    this.resourceName = details.resourceName;
    this.field = details.field;
  }
}
