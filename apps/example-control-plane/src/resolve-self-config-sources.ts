import { clone, toBinary, type DescMessage, type Message, type Registry } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { ConfigSourceSchema, type ConfigSource } from "@xdskit/envoy-api/envoy/config/core/v3/config_source_pb";

// Whether a message of this type can hold a ConfigSource somewhere inside (an Any can hold
// anything). Most of a large config cannot (endpoints, addresses): not walked at all.
const mayHold = new WeakMap<DescMessage, boolean>();
function mayHoldConfigSource(desc: DescMessage): boolean {
  const known = mayHold.get(desc);
  if (known !== undefined) return known;
  // A search of the types reachable from this one (each type's answer is kept, not the partial
  // answers met on the way: with cycles they would be wrong).
  const seen = new Set<DescMessage>([desc]);
  const stack = [desc];
  let found = false;
  while (!found && stack.length > 0) {
    const d = stack.pop() as DescMessage;
    if (d.typeName === ConfigSourceSchema.typeName || d.typeName === "google.protobuf.Any" || mayHold.get(d) === true) found = true;
    else if (mayHold.get(d) === false) continue;
    else {
      for (const f of d.fields) {
        const m = f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message") || (f.fieldKind === "map" && f.mapKind === "message") ? f.message : undefined;
        if (m !== undefined && !seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
      }
    }
  }
  mayHold.set(desc, found);
  return found;
}

/**
 * Replaces every `ConfigSource` written as `self: {}` (inside `typed_config`
 * too) with `replacement`'s specifier. Envoy 1.40 does not accept `self` for
 * xDS subscriptions (EDS, RDS, SRDS…), so the config files say `self` and the
 * control plane fills in the source that matches how its Envoys connect
 * (`--mode`). Returns how many were replaced; `message` is changed in place.
 */
export function resolveSelfConfigSources(desc: DescMessage, message: Message, replacement: ConfigSource, registry: Registry): number {
  let replaced = 0;
  const walk = (r: ReflectMessage): boolean => {
    if (!mayHoldConfigSource(r.desc)) return false;
    if (r.desc.typeName === ConfigSourceSchema.typeName) {
      const cs = r.message as ConfigSource;
      if (cs.configSourceSpecifier.case !== "self") return false;
      cs.configSourceSpecifier = clone(ConfigSourceSchema, replacement).configSourceSpecifier;
      replaced++;
      return true;
    }
    if (r.desc.typeName === "google.protobuf.Any") {
      const any = r.message as Any;
      const inner = anyUnpack(any, registry);
      const innerDesc = inner && registry.getMessage(inner.$typeName);
      if (!inner || !innerDesc || !walk(reflect(innerDesc, inner))) return false;
      any.value = toBinary(innerDesc, inner);
      return true;
    }
    let changed = false;
    for (const field of r.fields) {
      if (!r.isSet(field)) continue;
      if (field.fieldKind === "message") {
        changed = walk(r.get(field)) || changed;
      } else if (field.fieldKind === "list" && field.listKind === "message") {
        for (const item of r.get(field)) changed = walk(item as ReflectMessage) || changed;
      } else if (field.fieldKind === "map" && field.mapKind === "message") {
        for (const [, item] of r.get(field)) changed = walk(item as ReflectMessage) || changed;
      }
    }
    return changed;
  };
  walk(reflect(desc, message));
  return replaced;
}
