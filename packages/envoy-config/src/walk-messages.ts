import { type DescMessage, type Message, type Registry, toBinary } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { type Any, anyUnpack } from "@bufbuild/protobuf/wkt";

/**
 * Calls `visit` on every message set inside `message` (itself included), through `Any` values
 * the registry knows: an `Any` whose contents `visit` changed (returned true for) is packed again.
 * Returns whether anything changed.
 */
export function walkMessages(schema: DescMessage, message: Message, registry: Registry, visit: (m: ReflectMessage) => boolean): boolean {
  const walk = (r: ReflectMessage): boolean => {
    let changed = visit(r);
    if (r.desc.typeName === "google.protobuf.Any") {
      const any = r.message as Any;
      const inner = anyUnpack(any, registry);
      const innerDesc = inner && registry.getMessage(inner.$typeName);
      if (inner === undefined || innerDesc === undefined || !walk(reflect(innerDesc, inner))) return changed;
      any.value = toBinary(innerDesc, inner);
      return true;
    }
    for (const field of r.fields) {
      if (!r.isSet(field)) continue;
      if (field.fieldKind === "message") changed = walk(r.get(field)) || changed;
      else if (field.fieldKind === "list" && field.listKind === "message") {
        for (const item of r.get(field)) changed = walk(item as ReflectMessage) || changed;
      } else if (field.fieldKind === "map" && field.mapKind === "message") {
        for (const [, item] of r.get(field)) changed = walk(item as ReflectMessage) || changed;
      }
    }
    return changed;
  };
  return walk(reflect(schema, message));
}
