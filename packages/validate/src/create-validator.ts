import { fromBinary, type DescMessage, type Message, type Registry } from "@bufbuild/protobuf";
import {
  CacheError,
  defaultResourceTypes,
  resourceName,
  TYPE_URL_PREFIX,
  type CachedResource,
  type ResourceTypeRegistry,
} from "@xdskit/cache-core";
import { builtinResourceChecks, builtinSnapshotChecks } from "./builtin-checks.js";
import { engineFor } from "./engine.js";
import { sameBytes } from "./valid-content-cache.js";
import { canGenerateCode } from "./object-codegen.js";
import { checkReferences, NO_REFERENCES, type ReferenceOptions, referencesOf, type Referrer } from "./reference-check.js";

export type { ReferenceOptions };
import { type Remembered, summarize } from "./remembered-resource.js";
import type { ResourceCheck, SnapshotCheck, SnapshotProblem, SnapshotSummary } from "./semantic-check.js";
import type { ValidationResult, Violation } from "./violation.js";
import { violationValue, type WalkLimits } from "./walk.js";

/** A resource as caches take it: a protobuf-es message, or one already prepared by cache-core. */
export type ResourceInput = Message | CachedResource;

/** Resources by type URL, as `createSnapshot` takes them. */
export type ResourcesByType = Readonly<Record<string, Iterable<ResourceInput>>>;

/** Options of {@link @xdskit/validate#createValidator}. */
export interface ValidatorOptions {
  /**
   * Where the types of `Any` contents (and of resources not in `types`) are found. A type URL it
   * does not know is a violation. Default: `envoyRegistry` (every Envoy v3, cncf/xds and udpa type);
   * required by `@xdskit/validate/core`, which does not load it.
   */
  readonly registry?: Registry | undefined;
  /** Resource types by type URL (their schema, name and references). Default: cache-core's built-in types. */
  readonly types?: ResourceTypeRegistry | undefined;
  /** Rules about one resource beyond PGV. Default: {@link builtinResourceChecks}; pass `[...builtinResourceChecks, yours]` to add. */
  readonly resourceChecks?: readonly ResourceCheck[] | undefined;
  /** Rules about resources together. Default: {@link builtinSnapshotChecks}. */
  readonly snapshotChecks?: readonly SnapshotCheck[] | undefined;
  /**
   * Whether `validateSnapshot` requires references to resolve within the snapshot (cache-core's
   * `findInconsistencies`: the assignments EDS clusters need, the route configurations
   * listeners and scoped routes need, custom types' references). Default: `{}` (checked, a
   * missing one is a `reference.missing` violation); `false` skips the check.
   */
  readonly references?: ReferenceOptions | false | undefined;
  /** Deepest message nesting followed (deeper is a violation; also what stops a cyclic object). Default: 100. */
  readonly maxDepth?: number | undefined;
  /** Violations collected per resource before its validation stops. Default: 100. */
  readonly maxViolations?: number | undefined;
  /**
   * Messages visited per resource before its validation stops with a `limit.size` violation
   * (bounds the work on an object graph that shares sub-messages many times). Default: 1,000,000.
   */
  readonly maxMessages?: number | undefined;
  /**
   * Compile each message type's checks to JavaScript (`new Function`) on first use, which is
   * several times faster than interpreting them. Default: `true` where the platform allows it
   * (not under a Content-Security-Policy without 'unsafe-eval'); `false` interprets, with the
   * same results.
   */
  readonly generateCode?: boolean | undefined;
  /**
   * Remember encoded contents found valid (the bytes of every `Any`, resources given as bytes,
   * such as a `CachedResource` without its message) and skip walking the same byte array again:
   * a snapshot that keeps most of its resources from one update to the next re-validates them
   * for the cost of a lookup and a byte comparison. Kept per byte array object, weakly, and
   * compared with a copy on reuse, so bytes changed in place are validated again. Likewise a
   * prepared resource (`CachedResource`, immutable) that `validateSnapshot` found valid is not
   * walked, decoded, nor given to the resource checks again when its bytes (the same array, with
   * or without its message: a resource prepared again from the same bytes counts) come back
   * under the same type URL: what the snapshot checks with a {@link SnapshotSummary} and the
   * reference check need of it is remembered with it, so a snapshot of resources without their
   * messages is checked without decoding the ones it kept. Contents with violations are always
   * walked. Default: `true`; `false` walks everything every time.
   */
  readonly rememberValid?: boolean | undefined;
}

/** Validates xDS resources before they are served. Made by {@link @xdskit/validate#createValidator}. */
export interface Validator {
  /** The PGV rules of one message of any type of the registry, recursively through `Any`. */
  validateMessage(message: Message): ValidationResult;
  /**
   * One resource: its PGV rules (recursively through every `Any`) and the resource checks of its
   * type. `resource` is a message of the type's schema, or its encoding.
   */
  validateResource(typeUrl: string, name: string, resource: Message | Uint8Array): ValidationResult;
  /**
   * One prepared resource as {@link Validator.validateSnapshot} validates each of its resources
   * (PGV rules, resource checks; not the checks across resources). When it is valid (and
   * `rememberValid` is on) it is remembered with its bytes, and with what the snapshot checks
   * and the reference check need of it: a snapshot that holds it later (the same bytes, with or
   * without the message) neither walks nor decodes it again. So a program can validate each
   * resource as it prepares it and keep only its bytes from then on. Every validator
   * `createValidator` makes has it (optional so that wrappers written against the earlier
   * interface still compile).
   */
  validatePrepared?(resource: CachedResource): ValidationResult;
  /**
   * Every resource of a snapshot (as {@link Validator.validateResource}, plus names that occur twice in a
   * type) and the snapshot checks across them.
   */
  validateSnapshot(resources: ResourcesByType): ValidationResult;
}

const NONE: readonly Violation[] = Object.freeze([]);
const VALID: ValidationResult = Object.freeze({ ok: true, violations: NONE });

/** Adds `found` to `out` when there is one; returns what was found. */
function append(out: Violation[] | undefined, found: readonly Violation[]): readonly Violation[] {
  if (out !== undefined) for (const v of found) out.push(v);
  return found;
}

interface Entry {
  readonly typeUrl: string;
  readonly name: string;
  readonly schema: DescMessage | undefined;
  message: Message | undefined;
  readonly bytes: Uint8Array | undefined;
}


function isCached(r: ResourceInput): r is CachedResource {
  return typeof (r as { typeUrl?: unknown }).typeUrl === "string" && (r as { bytes?: unknown }).bytes !== undefined && !("$typeName" in r);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`createValidator: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Makes a validator. Rules are compiled per message type on first use and shared by every
 * validator with the same registry.
 */
export function createValidator(options: ValidatorOptions & { readonly registry: Registry }): Validator {
  const registry = options.registry;
  const types = options.types ?? defaultResourceTypes;
  const engine = engineFor(registry, (options.generateCode ?? true) && canGenerateCode);
  const limits: WalkLimits = {
    maxDepth: positiveInteger("maxDepth", options.maxDepth, 100),
    maxViolations: positiveInteger("maxViolations", options.maxViolations, 100),
    maxVisits: positiveInteger("maxMessages", options.maxMessages, 1_000_000),
    rememberValid: options.rememberValid ?? true,
  };
  const resourceChecks = new Map<string, ResourceCheck[]>();
  for (const check of options.resourceChecks ?? builtinResourceChecks) {
    const list = resourceChecks.get(check.typeUrl) ?? [];
    list.push(check);
    resourceChecks.set(check.typeUrl, list);
  }
  const snapshotChecks = options.snapshotChecks ?? builtinSnapshotChecks;
  const references = options.references ?? {};

  const schemas = new Map<string, DescMessage | undefined>();
  const schemaOf = (typeUrl: string): DescMessage | undefined => {
    if (schemas.has(typeUrl)) return schemas.get(typeUrl);
    const schema = types.get(typeUrl)?.schema ?? registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
    if (schemas.size < 10_000) schemas.set(typeUrl, schema);
    return schema;
  };

  const violation = (typeUrl: string, name: string, field: string, rule: string, message: string, value?: unknown): Violation => {
    const shown = violationValue(value);
    return { typeUrl, resourceName: name, field, rule, message, ...(shown === undefined ? {} : { value: shown }) };
  };

  const runResourceChecks = (entry: Entry, out: Violation[]): void => {
    const checks = resourceChecks.get(entry.typeUrl);
    if (checks === undefined || entry.message === undefined) return;
    for (const check of checks) {
      try {
        check.check(entry.message, (p) => out.push(violation(entry.typeUrl, entry.name, p.field, check.rule, p.message, p.value)));
      } catch (error) {
        out.push(violation(entry.typeUrl, entry.name, "", check.rule, `the check failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
  };

  // What validateSnapshot learnt of a prepared resource found valid (PGV rules and resource
  // checks), by its bytes: a CachedResource and its bytes are immutable, and the bytes are what is
  // served, so the same byte array under the same type URL is the same valid resource again,
  // whether it comes with its message or without (the same resource prepared again from bytes).
  // A snapshot that keeps most of its resources from one update to the next walks only the new
  // ones, and decodes none of the others: their summaries and references are remembered.
  // Resources with violations are always walked (their violations are reported afresh).
  const remembered = limits.rememberValid ? new WeakMap<Uint8Array, Remembered>() : undefined;
  const summaries = snapshotChecks.map((c) => c.summary);
  // Every snapshot check runs from summaries: no message is needed once they are remembered.
  const bySummary = summaries.every((s) => s !== undefined);

  // PGV rules and resource checks of one entry; decodes a bytes-only entry when a check (or
  // `decode`, for the snapshot checks) needs the message. Returns what it found, adding to `out`
  // when given (the snapshot), else as a list of its own.
  const validateEntry = (entry: Entry, out: Violation[] | undefined, decode = false): readonly Violation[] => {
    const schema = entry.schema;
    if (schema === undefined) {
      return append(out, [violation(entry.typeUrl, entry.name, "", "resource.type", `the validator does not know the type "${entry.typeUrl}"`)]);
    }
    let found: readonly Violation[];
    if (entry.message !== undefined) {
      if (entry.message.$typeName !== schema.typeName) {
        return append(out, [violation(entry.typeUrl, entry.name, "", "resource.type", `a ${entry.message.$typeName} cannot be a resource of type "${entry.typeUrl}" (${schema.typeName})`)]);
      }
      found = engine.validateObject(schema, entry.message, entry.typeUrl, entry.name, limits);
    } else if (entry.bytes !== undefined) {
      found = engine.validateBytes(schema, entry.bytes, entry.typeUrl, entry.name, limits);
      if ((resourceChecks.has(entry.typeUrl) || decode) && !found.some((v) => v.rule === "resource.decode")) {
        try {
          entry.message = fromBinary(schema, entry.bytes);
        } catch {
          // reported above as resource.decode
        }
      }
    } else return NONE;
    if (!resourceChecks.has(entry.typeUrl)) return append(out, found);
    const all = out ?? [...found];
    if (out !== undefined) for (const v of found) out.push(v);
    runResourceChecks(entry, all);
    return all;
  };

  // Per type URL: the summarized checks that look at it, and whether its resources' references count.
  interface TypePlan {
    readonly summarizing: readonly (readonly [number, SnapshotSummary])[];
    readonly refers: boolean;
    readonly needMessage: boolean;
  }
  const typePlans = new Map<string, TypePlan>();
  const planOf = (typeUrl: string): TypePlan => {
    let plan = typePlans.get(typeUrl);
    if (plan === undefined) {
      const summarizing: [number, SnapshotSummary][] = [];
      for (const [i, summary] of summaries.entries()) if (summary?.typeUrls.includes(typeUrl)) summarizing.push([i, summary]);
      const refers = references !== false && types.get(typeUrl)?.referencesOf !== undefined;
      plan = { summarizing, refers, needMessage: (!bySummary && snapshotChecks.length > 0) || summarizing.length > 0 || refers };
      if (typePlans.size < 10_000) typePlans.set(typeUrl, plan);
    }
    return plan;
  };

  // What a prepared resource is remembered as, if `bytes` was found valid; else undefined.
  const rememberedAs = (typeUrl: string, bytes: Uint8Array | undefined): Remembered | undefined => {
    const known = bytes === undefined ? undefined : remembered?.get(bytes);
    // Bytes given without their message are compared with a copy: changed in place, they are a
    // new resource, validated again. Bytes a prepared resource encoded from its message are its
    // own (immutable by cache-core's contract, as the message is): the same array is enough.
    return known?.typeUrl === typeUrl && (known.copy === undefined || sameBytes(known.copy, bytes as Uint8Array)) ? known : undefined;
  };

  // Validates an entry not remembered, reads its summaries and references, and remembers them by
  // `bytes` (a prepared resource's) when it is valid.
  const learn = (entry: Entry, bytes: Uint8Array | undefined, out: Violation[]): Remembered => {
    const plan = planOf(entry.typeUrl);
    const mark = out.length;
    validateEntry(entry, out, plan.needMessage);
    const message = entry.schema !== undefined && entry.message?.$typeName === entry.schema.typeName ? entry.message : undefined;
    const sums: unknown[] = [];
    let refs = NO_REFERENCES;
    if (message !== undefined && entry.schema !== undefined) {
      for (const [i, summary] of plan.summarizing) sums[i] = summarize(summary, (snapshotChecks[i] as SnapshotCheck).rule, entry.typeUrl, message, entry.name, out);
      if (plan.refers) refs = referencesOf(entry.schema, message, entry.typeUrl, types);
    }
    const copy = bytes !== undefined && entry.bytes !== undefined ? bytes.slice() : undefined;
    const known = { typeUrl: entry.typeUrl, copy, summaries: sums, references: refs, decoded: message !== undefined };
    if (bytes !== undefined && out.length === mark) remembered?.set(bytes, known);
    return known;
  };

  const result = (violations: readonly Violation[]): ValidationResult => (violations.length === 0 ? VALID : { ok: false, violations });

  return {
    validateMessage(message) {
      const typeUrl = TYPE_URL_PREFIX + message.$typeName;
      const schema = registry.getMessage(message.$typeName);
      if (schema === undefined) {
        return result([violation(typeUrl, "", "", "resource.type", `the validator does not know the type "${message.$typeName}"`)]);
      }
      return result(engine.validateObject(schema, message, typeUrl, "", limits));
    },

    validateResource(typeUrl, name, resource) {
      const bytes = resource instanceof Uint8Array;
      return result(validateEntry({ typeUrl, name, schema: schemaOf(typeUrl), message: bytes ? undefined : resource, bytes: bytes ? resource : undefined }, undefined));
    },

    validatePrepared(resource) {
      const bytes = remembered === undefined ? undefined : resource.bytes;
      if (rememberedAs(resource.typeUrl, bytes) !== undefined) return VALID;
      const schema = resource.schema ?? schemaOf(resource.typeUrl);
      const entry: Entry = { typeUrl: resource.typeUrl, name: resource.name, schema, message: resource.message, bytes: resource.message === undefined ? resource.bytes : undefined };
      const out: Violation[] = [];
      learn(entry, bytes, out);
      return result(out);
    },

    validateSnapshot(resources) {
      const out: Violation[] = [];
      const messages = new Map<string, Map<string, Message>>();
      const summaryViews = summaries.map(() => new Map<string, Map<string, unknown>>());
      const referrers: Referrer[] = [];
      for (const [typeUrl, list] of Object.entries(resources)) {
        const schema = schemaOf(typeUrl);
        const named = new Map<string, Message>();
        if (!bySummary) messages.set(typeUrl, named);
        // Where the summaries of the checks that look at this type go.
        const plan = planOf(typeUrl);
        const summarizing = plan.summarizing.map(([i]) => {
          const into = new Map<string, unknown>();
          (summaryViews[i] as Map<string, Map<string, unknown>>).set(typeUrl, into);
          return [i, into] as const;
        });
        const seen = new Set<string>();
        for (const r of list) {
          let entry: Entry;
          if (isCached(r)) {
            entry = { typeUrl, name: r.name, schema: r.schema ?? schema, message: r.message, bytes: r.message === undefined ? r.bytes : undefined };
          } else {
            let name: string;
            try {
              name = schema === undefined ? "" : resourceName(schema, r, { typeUrl, types });
            } catch (error) {
              name = "";
              if (error instanceof CacheError && error.code !== "type-mismatch") {
                out.push(violation(typeUrl, "", "", "resource.name", error.message));
              }
            }
            entry = { typeUrl, name, schema, message: r, bytes: undefined };
          }
          if (entry.name !== "" && seen.has(entry.name)) {
            out.push(violation(typeUrl, entry.name, "", "resource.duplicate-name", `two resources of this type are named "${entry.name}"`));
          }
          seen.add(entry.name);
          const bytes = remembered !== undefined && isCached(r) ? r.bytes : undefined;
          let known = rememberedAs(typeUrl, bytes);
          if (known === undefined) {
            known = learn(entry, bytes, out);
          } else if (!bySummary && entry.message === undefined && entry.schema !== undefined && entry.bytes !== undefined) {
            // A check without a summary reads messages: decoded again for it (known valid, so it decodes).
            entry.message = fromBinary(entry.schema, entry.bytes);
          }
          if (entry.name === "") continue;
          if (!bySummary && entry.message !== undefined) named.set(entry.name, entry.message);
          if (known.decoded) for (const [i, into] of summarizing) into.set(entry.name, known.summaries[i]);
          if (references !== false) referrers.push({ typeUrl, name: entry.name, references: known.references });
        }
      }
      if (references !== false) checkReferences(referrers, references, out);
      const run = (check: SnapshotCheck, i: number): void => {
        const report = (p: SnapshotProblem): void => void out.push(violation(p.typeUrl, p.resourceName, p.field, check.rule, p.message, p.value));
        const summary = summaries[i];
        if (bySummary && summary !== undefined) {
          const view = summaryViews[i] as Map<string, Map<string, unknown>>;
          summary.check({ typeUrls: () => [...view.keys()].filter((t) => (view.get(t)?.size ?? 0) > 0), summaries: (t) => view.get(t) ?? new Map() }, report);
        } else {
          check.check({ typeUrls: () => [...messages.keys()], resources: (t) => messages.get(t) ?? new Map() }, report);
        }
      };
      for (const [i, check] of snapshotChecks.entries()) {
        try {
          run(check, i);
        } catch (error) {
          out.push(violation("", "", "", check.rule, `the check failed: ${error instanceof Error ? error.message : String(error)}`));
        }
      }
      return result(out);
    },
  };
}
