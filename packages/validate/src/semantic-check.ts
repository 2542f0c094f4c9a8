import type { Message } from "@bufbuild/protobuf";

/** Where a semantic check found a problem in one resource. */
export interface ResourceProblem {
  /** The field path in the resource (as in {@link Violation.field}); `""` for the whole resource. */
  readonly field: string;
  /** What is wrong, in words (becomes the violation's `message`). */
  readonly message: string;
  /** The offending value, if there is one. */
  readonly value?: unknown;
}

/**
 * A rule about one resource that protoc-gen-validate cannot express (Envoy rejects it when it
 * builds the resource): duplicate virtual-host domains, a weighted cluster set without weight, …
 * `validateResource` and `validateSnapshot` run it on every resource of its type.
 */
export interface ResourceCheck {
  /** The `rule` of its violations, like `route.duplicate-domain`. */
  readonly rule: string;
  /** One sentence: what Envoy refuses. */
  readonly description: string;
  /** The type URL of the resources it looks at. */
  readonly typeUrl: string;
  /** Reports every problem of `resource` (a message of `typeUrl`'s type). */
  check(resource: Message, report: (problem: ResourceProblem) => void): void;
}

/** Where a snapshot check found a problem. */
export interface SnapshotProblem extends ResourceProblem {
  /** The type URL of the resource the problem is in. */
  readonly typeUrl: string;
  /** The name of the resource the problem is in. */
  readonly resourceName: string;
}

/** The resources a snapshot check sees: decoded messages by type URL, then name. */
export interface SnapshotView {
  /** The type URLs that have resources. */
  typeUrls(): readonly string[];
  /** The resources of a type by name (empty when there are none). */
  resources(typeUrl: string): ReadonlyMap<string, Message>;
}

/** What a {@link SnapshotSummary} sees: the summaries it made, by type URL, then resource name. */
export interface SummaryView<S = unknown> {
  /** The type URLs that have resources (of those the summary asked for). */
  typeUrls(): readonly string[];
  /** The summaries of a type's resources by name (empty when there are none). */
  summaries(typeUrl: string): ReadonlyMap<string, S>;
}

/**
 * A snapshot check run from a small summary of each resource instead of its decoded message.
 * `validateSnapshot` remembers the summaries of a prepared resource found valid (per resource
 * version: its bytes), so a snapshot given as bytes (a `CachedResource` without its message) is
 * checked without decoding the resources it kept from the last one.
 */
export interface SnapshotSummary<S = unknown> {
  /** The type URLs of the resources it summarizes; it sees no others. */
  readonly typeUrls: readonly string[];
  /** What the check needs of one resource (a message of `typeUrl`'s type). Treat the message as read-only. */
  summarize(typeUrl: string, resource: Message): S;
  /** Reports every problem among the summaries, as {@link SnapshotCheck.check} does among the messages. */
  check(snapshot: SummaryView<S>, report: (problem: SnapshotProblem) => void): void;
}

/**
 * A rule about resources together (two listeners on one address, EDS endpoints that are not IP
 * addresses): `validateSnapshot` runs it once over all resources.
 */
export interface SnapshotCheck {
  /** The `rule` of its violations, like `listener.duplicate-address`. */
  readonly rule: string;
  /** One sentence: what Envoy refuses. */
  readonly description: string;
  /** Reports every problem among the resources of `snapshot`. */
  check(snapshot: SnapshotView, report: (problem: SnapshotProblem) => void): void;
  /**
   * The same check from per-resource summaries (optional). When every snapshot check of a
   * validator has one, `validateSnapshot` runs those instead of {@link SnapshotCheck.check} and
   * needs no decoded message of a resource whose summaries it remembers; else it decodes every
   * resource given as bytes, each time.
   */
  readonly summary?: SnapshotSummary | undefined;
}
