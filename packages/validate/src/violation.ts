/**
 * One broken rule: which resource, which field, which rule, and what was wrong. Collected for a
 * whole resource (every rule, like go-control-plane's `ValidateAll()`), not only the first.
 */
export interface Violation {
  /** The type URL of the resource (`type.googleapis.com/envoy.config.cluster.v3.Cluster`). */
  readonly typeUrl: string;
  /** The resource name; `""` when the message was validated without one. */
  readonly resourceName: string;
  /**
   * The field, as a path of proto field names from the resource: `[i]` indexes a list, `["k"]` a
   * map, and the path continues into the content of an `Any`
   * (`filter_chains[0].filters[0].typed_config.http_filters[1].name`). `""` for the resource itself.
   */
  readonly field: string;
  /**
   * The rule, as `<kind>.<rule>` after protoc-gen-validate (`string.min_len`, `uint32.lte`,
   * `message.required`, `oneof.required`, `repeated.min_items`, `any.in`, …), `any.type` /
   * `any.decode` for an `Any` whose content cannot be read, `message.depth` for nesting beyond the
   * limit, or the name of the snapshot check that found it (`listener.duplicate-address`, …).
   */
  readonly rule: string;
  /** What is wrong, in words. */
  readonly message: string;
  /** The offending value (long strings shortened, bytes as their length), when there is one. */
  readonly value?: unknown;
}

/** The outcome of a validation: `ok` exactly when there are no violations. */
export interface ValidationResult {
  /** Whether nothing is wrong. */
  readonly ok: boolean;
  /** Everything that is wrong (empty when `ok`). */
  readonly violations: readonly Violation[];
}

/** `Cluster "backend" connect_timeout: must be greater than 0s (duration.gt)`, for logs and errors. */
export function formatViolation(v: Violation): string {
  const type = v.typeUrl.slice(v.typeUrl.lastIndexOf("/") + 1);
  const short = type.slice(type.lastIndexOf(".") + 1);
  const who = v.resourceName === "" ? short : `${short} ${JSON.stringify(v.resourceName)}`;
  return `${who}${v.field === "" ? "" : ` ${v.field}`}: ${v.message} (${v.rule})`;
}
