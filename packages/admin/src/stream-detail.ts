import { type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { type CachedResource, SECRET_TYPE_URL } from "@xdskit/cache-core";
import type { ResourceState, StreamStatus } from "@xdskit/server-core/internal";

/** One resource of the detail view, with its contents as protobuf JSON. */
export interface ResourceView {
  readonly name: string;
  readonly version: string;
  readonly state: ResourceState;
  /** What the client holds, as far as the server knows. */
  readonly held: JsonValue | undefined;
  /** What was last sent when the client has not taken it (pending or rejected). */
  readonly sent: JsonValue | undefined;
}

/** A stream with every type's resources, for the node detail. */
export type StreamDetail = Omit<StreamStatus, "types"> & {
  readonly types: ReadonlyArray<Omit<StreamStatus["types"][number], "resources"> & { readonly resources: readonly ResourceView[] }>;
};

const REDACTED: JsonValue = { redacted: "secrets are not shown" };

function asJson(resource: CachedResource | undefined, registry: Registry): JsonValue | undefined {
  if (resource === undefined) return undefined;
  if (resource.typeUrl === SECRET_TYPE_URL) return REDACTED;
  try {
    return toJson(AnySchema, resource.any, { registry });
  } catch (error) {
    // A type the registry does not know: say so rather than fail the page.
    return { unrenderable: error instanceof Error ? error.message : String(error), bytes: resource.bytes.length };
  }
}

/** The detail of one stream, resources rendered as protobuf JSON (secrets redacted). */
export function streamDetail(stream: StreamStatus, registry: Registry): StreamDetail {
  return {
    ...stream,
    types: stream.types.map((type) => ({
      ...type,
      resources: (type.resources ?? []).map((r) => ({
        name: r.name,
        version: r.version,
        state: r.state,
        held: asJson(r.held, registry),
        sent: asJson(r.sent, registry),
      })),
    })),
  };
}
