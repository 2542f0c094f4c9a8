import type { Message } from "@bufbuild/protobuf";
import type { References } from "./reference-check.js";
import type { SnapshotSummary } from "./semantic-check.js";
import type { Violation } from "./violation.js";

/** What a validator remembers of a valid prepared resource, by its bytes (see createValidator). */
export interface Remembered {
  readonly typeUrl: string;
  /** The bytes as they were found valid, when they were given without their message. */
  readonly copy: Uint8Array | undefined;
  /** By snapshot check index: the summaries of the checks that look at this type. */
  readonly summaries: readonly unknown[];
  readonly references: References;
  /** Whether it decoded (else it is in no summary view). */
  readonly decoded: boolean;
}


/** A summary of one resource; a summarizer that throws is a violation of the resource, not a crash. */
export function summarize(summary: SnapshotSummary, rule: string, typeUrl: string, message: Message, name: string, out: Violation[]): unknown {
  try {
    return summary.summarize(typeUrl, message);
  } catch (error) {
    out.push({ typeUrl, resourceName: name, field: "", rule, message: `the check failed: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}
