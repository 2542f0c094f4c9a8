import type { DescMessage } from "@bufbuild/protobuf";
import type { Violation } from "./violation.js";

/** A map key in a field path, printed as `["key"]` for strings and `[key]` otherwise. */
export class MapKey {
  constructor(readonly key: string | number | bigint | boolean) {}
}

/** A field name, a list index, or a map key. */
export type PathSegment = string | number | MapKey;

/** Limits that keep a validation bounded whatever it is given. */
export interface WalkLimits {
  readonly maxDepth: number;
  readonly maxViolations: number;
  /** Messages visited per resource before giving up (guards against exponential object graphs). */
  readonly maxVisits: number;
  /** Skip encoded contents already found valid (see ValidContentCache). */
  readonly rememberValid: boolean;
}

// Never pushed to: Walk.add replaces it with a fresh array first.
const NO_VIOLATIONS: Violation[] = [];

/** Thrown inside a walk to stop it; never escapes the validator. */
export class WalkAborted extends Error {}

const MAX_VALUE_CHARS = 200;

/** A violation's `value`, small enough to keep in an error: strings shortened, bytes as their length. */
export function violationValue(value: unknown): unknown {
  if (typeof value === "string") {
    return value.length <= MAX_VALUE_CHARS ? value : `${value.slice(0, MAX_VALUE_CHARS)}… (${value.length} characters)`;
  }
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "object" && value !== null) return undefined;
  return value;
}

export function formatPath(segments: readonly PathSegment[], count = segments.length): string {
  let out = "";
  for (let i = 0; i < count; i++) {
    const s = segments[i] as PathSegment;
    if (typeof s === "string") out += out === "" ? s : `.${s}`;
    else if (typeof s === "number") out += `[${s}]`;
    else out += typeof s.key === "string" ? `[${JSON.stringify(s.key)}]` : `[${String(s.key)}]`;
  }
  return out;
}

/**
 * The state of validating one resource: where we are (a stack of path segments; a rule check
 * reports against the stack plus `leaf`), what was found, and how much work is left.
 */
export class Walk {
  readonly path: PathSegment[] = [];
  /** The resource object and its type (object walks), to tell a cycle from deep nesting. */
  root: unknown = undefined;
  rootDesc: DescMessage | undefined = undefined;
  /** What was found; the shared empty list until the first violation (spares an array per resource). */
  violations: Violation[] = NO_VIOLATIONS;
  /** The field a scalar check is about, appended to `path` when it reports. */
  leaf: PathSegment | undefined = undefined;
  /** A second leaf segment: the index or key of a list item or map entry being checked. */
  leafIndex: PathSegment | undefined = undefined;
  visits = 0;
  typeUrl = "";
  resourceName = "";
  limits: WalkLimits = { maxDepth: 100, maxViolations: 100, maxVisits: 1_000_000, rememberValid: false };
  /** Copies of the limits, read on every message. */
  maxDepth = 100;
  maxVisits = 1_000_000;
  rememberValid = false;

  /** Starts the walk of another resource. */
  reset(typeUrl: string, resourceName: string, limits: WalkLimits): void {
    this.path.length = 0;
    this.root = undefined;
    this.rootDesc = undefined;
    this.violations = NO_VIOLATIONS;
    this.leaf = undefined;
    this.leafIndex = undefined;
    this.visits = 0;
    this.typeUrl = typeUrl;
    this.resourceName = resourceName;
    this.limits = limits;
    this.maxDepth = limits.maxDepth;
    this.maxVisits = limits.maxVisits;
    this.rememberValid = limits.rememberValid;
  }

  /** Records a violation at `path` + `leaf` (+ `leafIndex`). */
  report(rule: string, message: string, value?: unknown): void {
    let field = formatPath(this.path);
    if (this.leaf !== undefined) field = joinSegment(field, this.leaf);
    if (this.leafIndex !== undefined) field = joinSegment(field, this.leafIndex);
    this.add(field, rule, message, value);
  }

  /** Records a violation at `path` itself (the current message, list or map). */
  reportHere(rule: string, message: string, value?: unknown): void {
    this.add(formatPath(this.path), rule, message, value);
  }

  add(field: string, rule: string, message: string, value?: unknown): void {
    if (this.violations === NO_VIOLATIONS) this.violations = [];
    if (this.violations.length >= this.limits.maxViolations) {
      this.violations.push({
        typeUrl: this.typeUrl,
        resourceName: this.resourceName,
        field: "",
        rule: "limit.violations",
        message: `more than ${this.limits.maxViolations} violations; stopped looking`,
      });
      throw new WalkAborted();
    }
    const shown = violationValue(value);
    this.violations.push({
      typeUrl: this.typeUrl,
      resourceName: this.resourceName,
      field,
      rule,
      message,
      ...(shown === undefined ? {} : { value: shown }),
    });
  }

  /** Counts a visited message; stops the walk when the resource is too big to be real. */
  visit(): void {
    if (++this.visits > this.limits.maxVisits) {
      this.reportHere("limit.size", `more than ${this.limits.maxVisits} messages in one resource; stopped looking`);
      throw new WalkAborted();
    }
  }
}

function joinSegment(field: string, s: PathSegment): string {
  if (typeof s === "string") return field === "" ? s : `${field}.${s}`;
  if (typeof s === "number") return `${field}[${s}]`;
  return `${field}${formatPath([s])}`;
}
