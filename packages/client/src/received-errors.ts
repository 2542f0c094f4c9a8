import type { ResourceErrorReport } from "@xdskit/cache-core";
import type { ResourceError } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

/**
 * A response's `resource_errors` as plain reports. An entry without a name
 * (nothing to attach it to) is skipped; one without a status reads as
 * UNKNOWN (2) with no message.
 */
export function receivedErrors(errors: readonly ResourceError[]): ResourceErrorReport[] {
  const out: ResourceErrorReport[] = [];
  for (const error of errors) {
    const name = error.resourceName?.name ?? "";
    if (name === "") continue;
    out.push({ name, code: error.errorDetail?.code ?? UNKNOWN, message: error.errorDetail?.message ?? "" });
  }
  return out;
}

const UNKNOWN = 2;
