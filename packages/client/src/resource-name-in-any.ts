import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { Any } from "@bufbuild/protobuf/wkt";
import { RESOURCE_WRAPPER_TYPE_URL } from "@xdskit/cache-core";

/**
 * The xDS resource name inside an `Any`, read straight off the wire: every
 * built-in resource type (Cluster, ClusterLoadAssignment's cluster_name,
 * Listener, RouteConfiguration, ScopedRouteConfiguration, VirtualHost,
 * Secret, Runtime, TypedExtensionConfig) keeps it in field 1, and the
 * `Resource` wrapper in field 3. Decoding only that field avoids loading
 * every schema. Returns "" when the field is absent.
 */
export function resourceNameInAny(any: Any): string {
  const wanted = any.typeUrl === RESOURCE_WRAPPER_TYPE_URL ? 3 : 1;
  try {
    const reader = new BinaryReader(any.value);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === wanted && wireType === WireType.LengthDelimited) return reader.string();
      reader.skip(wireType, field);
    }
  } catch {
    return "";
  }
  return "";
}
