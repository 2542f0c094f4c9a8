import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema, DurationSchema } from "@bufbuild/protobuf/wkt";
import { type CachedResource, type DeltaResponse, RESOURCE_WRAPPER_TYPE_URL, type ResourceErrorReport, type SotwResponse } from "@xdskit/cache-core";
import {
  type ResourceError,
  ResourceErrorSchema,
  type DeltaDiscoveryResponse,
  type DiscoveryResponse,
  type Resource,
  ResourceSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { splitDuration } from "./duration-bytes.js";
import { sotwWrapperBytes, unresolvedNames } from "./response-encoder.js";

// The message forms of a resource, built once and shared like the encoded ones.
interface MessageForms {
  ttl?: Any;
  heartbeat?: Any;
  delta?: Resource;
}

const cache = new WeakMap<CachedResource, MessageForms>();

function formsOf(resource: CachedResource): MessageForms {
  let forms = cache.get(resource);
  if (forms === undefined) {
    forms = {};
    cache.set(resource, forms);
  }
  return forms;
}

// The TTL wrapper as an Any around the bytes the encoder wrote: nothing is encoded twice.
function sotwResourceAny(resource: CachedResource, heartbeat: boolean): Any {
  const body = sotwWrapperBytes(resource, heartbeat);
  if (body === undefined) return resource.any;
  const forms = formsOf(resource);
  const known = heartbeat ? forms.heartbeat : forms.ttl;
  if (known !== undefined) return known;
  const any = create(AnySchema, { typeUrl: RESOURCE_WRAPPER_TYPE_URL, value: body });
  if (heartbeat) forms.heartbeat = any;
  else forms.ttl = any;
  return any;
}

function buildDeltaResource(resource: CachedResource): Resource {
  const message = create(ResourceSchema, { name: resource.name, version: resource.hash });
  message.resource = resource.any;
  const ttlMs = resource.ttlMs;
  if (ttlMs !== undefined) {
    const { seconds, nanos } = splitDuration(ttlMs);
    message.ttl = create(DurationSchema, { seconds: BigInt(seconds), nanos });
  }
  return message;
}

function deltaResource(resource: CachedResource): Resource {
  const forms = formsOf(resource);
  forms.delta ??= buildDeltaResource(resource);
  return forms.delta;
}

// `resource_errors` entries, built once per report like the encoded ones.
const errorMessages = new WeakMap<ResourceErrorReport, ResourceError>();

function resourceErrorMessages(errors: readonly ResourceErrorReport[] | undefined): ResourceError[] {
  if (errors === undefined) return [];
  return errors.map((report) => {
    let message = errorMessages.get(report);
    if (message === undefined) {
      message = create(ResourceErrorSchema, { resourceName: { name: report.name }, errorDetail: { code: report.code, message: report.message } });
      errorMessages.set(report, message);
    }
    return message;
  });
}

/**
 * The `DiscoveryResponse` message of a cache answer, for callbacks and
 * transports that serialize messages themselves. Its resources are the
 * cache's shared `Any` messages (TTL wrappers around the encoder's bytes), so
 * it is cheap to build and serializes to the bytes of `encodeSotwResponse`.
 * Treat it as read-only: its parts are shared (its `resources` array too,
 * frozen, when the cache shares the list between watches).
 */
export function sotwResponseMessage(response: SotwResponse, nonce: string): DiscoveryResponse {
  // A literal with every field, in the order protobuf-es's create() sets them: one object shape
  // for every response, at a fraction of create()'s cost (a response hook builds one per response).
  return {
    $typeName: "envoy.service.discovery.v3.DiscoveryResponse",
    versionInfo: response.version,
    resources: sotwResourceAnys(response.resources, response.heartbeat) as Any[],
    canary: false,
    typeUrl: response.typeUrl,
    nonce,
    resourceErrors: resourceErrorMessages(response.errors),
  };
}

// The Any list of a frozen resource list (one the cache shares between watches), per kind:
// built once and shared, frozen, by every message of a response sent that list.
const anyLists = new WeakMap<readonly CachedResource[], { plain?: readonly Any[]; heartbeat?: readonly Any[] }>();

function sotwResourceAnys(resources: readonly CachedResource[], heartbeat: boolean): readonly Any[] {
  const build = () => resources.map((resource) => sotwResourceAny(resource, heartbeat));
  if (!Object.isFrozen(resources)) return build();
  let lists = anyLists.get(resources);
  if (lists === undefined) {
    lists = {};
    anyLists.set(resources, lists);
  }
  if (heartbeat) {
    lists.heartbeat ??= Object.freeze(build());
    return lists.heartbeat;
  }
  lists.plain ??= Object.freeze(build());
  return lists.plain;
}

/** The `DeltaDiscoveryResponse` message of a cache answer; as {@link sotwResponseMessage}. */
export function deltaResponseMessage(response: DeltaResponse, nonce: string): DeltaDiscoveryResponse {
  const resources = response.resources.map(deltaResource);
  const unresolved = unresolvedNames(response);
  let removedResources: string[];
  if (unresolved === undefined) removedResources = [...response.removed];
  else {
    for (const name of unresolved) resources.push(create(ResourceSchema, { name, aliases: [name] }));
    removedResources = response.removed.filter((name) => !unresolved.has(name));
  }
  // A literal, as in sotwResponseMessage.
  return {
    $typeName: "envoy.service.discovery.v3.DeltaDiscoveryResponse",
    systemVersionInfo: response.systemVersion,
    resources,
    typeUrl: response.typeUrl,
    removedResources,
    removedResourceNames: [],
    nonce,
    resourceErrors: resourceErrorMessages(response.errors),
  };
}
