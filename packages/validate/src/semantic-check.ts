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
}
