import type { DescMessage, Registry } from "@bufbuild/protobuf";
import {
  CacheError,
  type CachedResource,
  type Logger,
  prepareRawResource,
  prepareResource,
  type ResourceErrorDetail,
  type ResourceErrorReport,
  resourceErrorReport,
  type ResourceTypeRegistry,
} from "@xdskit/cache-core";
import { enforceValidation, type ResolvedValidationPolicy } from "@xdskit/validate/policy";
import { LinearCacheError } from "./linear-cache-error.js";
import type { LinearCacheResourceData } from "./linear-cache-feed.js";
import type { LinearCacheOptions, ResourceInput } from "./linear-cache-api.js";

function isCachedResource(input: ResourceInput): input is CachedResource {
  const candidate = input as Partial<CachedResource>;
  return typeof candidate.typeUrl === "string" && typeof candidate.name === "string" && typeof candidate.withTtl === "function";
}

/**
 * Turns what a linear cache is given into `CachedResource`s of its type:
 * messages prepared with its schema, every resource marshalled and hashed
 * once, validated as one update; errors checked and named.
 */
export class ResourcePreparer {
  readonly #typeUrl: string;
  readonly #schema: DescMessage | undefined;
  readonly #types: ResourceTypeRegistry | undefined;
  readonly #registry: Registry | undefined;
  readonly #logger: Logger;
  readonly #validation: ResolvedValidationPolicy | undefined;

  constructor(typeUrl: string, options: LinearCacheOptions, validation: ResolvedValidationPolicy | undefined, logger: Logger) {
    this.#typeUrl = typeUrl;
    this.#schema = options.schema;
    this.#types = options.types;
    this.#registry = options.registry;
    this.#logger = logger;
    this.#validation = validation;
  }

  prepareAll(inputs: Iterable<ResourceInput>): CachedResource[] {
    const out: CachedResource[] = [];
    for (const input of inputs) {
      const resource = this.#prepare(input);
      // Marshal and hash here, once per update, whatever the number of watchers.
      void resource.hash;
      out.push(resource);
    }
    if (this.#validation !== undefined) this.#validate(out, this.#validation);
    return out;
  }

  /** A follower's resource, from the leader's bytes (hashed here, once). */
  raw(data: LinearCacheResourceData): CachedResource {
    const resource = prepareRawResource({ typeUrl: this.#typeUrl, name: data.name, bytes: data.bytes, ttlMs: data.ttlMs });
    void resource.hash;
    return resource;
  }

  errorReport(name: string, error: ResourceErrorDetail): ResourceErrorReport {
    try {
      return resourceErrorReport(this.#typeUrl, name, error);
    } catch (cause) {
      if (!(cause instanceof CacheError)) throw cause;
      throw new LinearCacheError(cause.code, cause.message, {
        typeUrl: this.#typeUrl,
        servedTypeUrl: this.#typeUrl,
        resourceName: name,
        field: cause.field,
        cause,
      });
    }
  }

  // Every resource of an update, before any of it is applied: one error names them all.
  #validate(resources: readonly CachedResource[], { validator, mode }: ResolvedValidationPolicy): void {
    const violations = resources.flatMap(
      (resource) => validator.validateResource(this.#typeUrl, resource.name, resource.message ?? resource.bytes).violations,
    );
    const names = resources.length === 1 ? `resource "${resources[0]?.name}"` : `an update of ${resources.length} resources`;
    enforceValidation({ ok: violations.length === 0, violations }, mode, this.#logger, `${names} of "${this.#typeUrl}"`);
  }

  #prepare(input: ResourceInput): CachedResource {
    const typeUrl = this.#typeUrl;
    if (isCachedResource(input)) {
      if (input.typeUrl !== typeUrl) {
        throw new LinearCacheError(
          "type-mismatch",
          `resource "${input.name}" has type "${input.typeUrl}" but this linear cache serves "${typeUrl}"`,
          { typeUrl: input.typeUrl, resourceName: input.name, servedTypeUrl: typeUrl },
        );
      }
      return input;
    }
    const schema = this.#schema;
    if (schema === undefined) {
      throw new LinearCacheError(
        "invalid-resource",
        `a ${input.$typeName} message was given to the linear cache of "${typeUrl}", which has no schema: pass a CachedResource or create the cache with a schema`,
        { typeUrl, servedTypeUrl: typeUrl, field: "schema" },
      );
    }
    return prepareResource(schema, input, {
      typeUrl,
      ...(this.#types === undefined ? {} : { types: this.#types }),
      ...(this.#registry === undefined ? {} : { registry: this.#registry }),
    });
  }
}
