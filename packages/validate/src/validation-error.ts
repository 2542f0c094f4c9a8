import { CacheError } from "@xdskit/cache-core";
import { formatViolation, type Violation } from "./violation.js";

// The message lists this many violations; `violations` always holds all of them.
const LISTED = 20;

/**
 * What a cache (or any caller) throws for resources that break rules: a `CacheError` with code
 * `invalid-resource` whose message lists the violations and whose `violations` holds every one.
 * `typeUrl` / `resourceName` are set when all violations concern one resource.
 */
export class ValidationError extends CacheError {
  /** `"ValidationError"`. */
  override readonly name: string = "ValidationError";
  /** Every violation (the message lists the first 20). */
  readonly violations: readonly Violation[];

  constructor(violations: readonly Violation[], options: { readonly cause?: unknown } = {}) {
    const first = violations[0];
    const one = first !== undefined && violations.every((v) => v.typeUrl === first.typeUrl && v.resourceName === first.resourceName);
    const lines = violations.slice(0, LISTED).map((v) => `  - ${formatViolation(v)}`);
    if (violations.length > LISTED) lines.push(`  - … and ${violations.length - LISTED} more`);
    const count = violations.length === 1 ? "1 violation" : `${violations.length} violations`;
    super("invalid-resource", `invalid resources: ${count}\n${lines.join("\n")}`, {
      ...(one ? { typeUrl: first.typeUrl, ...(first.resourceName === "" ? {} : { resourceName: first.resourceName }) } : {}),
      ...(violations.length === 1 && first !== undefined && first.field !== "" ? { field: first.field } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.violations = violations;
  }
}
