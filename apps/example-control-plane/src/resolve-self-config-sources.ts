import { clone, type DescField, type DescMessage, type Message, type Registry, toBinary } from "@bufbuild/protobuf";
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

// The fields of a type worth entering, each with how to read it straight off a message: a walk by
// reflection visits every field of every message (about 0.2 s for 50,000 endpoints), this one
// only the few that can lead to a ConfigSource.
interface Step {
  readonly field: DescField;
  readonly kind: "message" | "list" | "map";
  readonly desc: DescMessage;
}
const stepsOf = new WeakMap<DescMessage, readonly Step[]>();
function steps(desc: DescMessage): readonly Step[] {
  let found = stepsOf.get(desc);
  if (found !== undefined) return found;
  const out: Step[] = [];
  for (const field of desc.fields) {
    if (field.fieldKind === "message" && mayHoldConfigSource(field.message)) out.push({ field, kind: "message", desc: field.message });
    else if (field.fieldKind === "list" && field.listKind === "message" && mayHoldConfigSource(field.message)) out.push({ field, kind: "list", desc: field.message });
    else if (field.fieldKind === "map" && field.mapKind === "message" && mayHoldConfigSource(field.message)) out.push({ field, kind: "map", desc: field.message });
  }
  found = out;
  stepsOf.set(desc, found);
  return found;
}

/** A field's value as protobuf-es keeps it: on the message, or in its oneof's `{ case, value }`. */
function fieldValue(message: Message, field: DescField): unknown {
  const m = message as unknown as Record<string, unknown>;
  if (field.oneof === undefined) return m[field.localName];
  const oneof = m[field.oneof.localName] as { case: string | undefined; value?: unknown } | undefined;
  return oneof?.case === field.localName ? oneof.value : undefined;
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
  const walk = (d: DescMessage, m: Message): boolean => {
    if (d.typeName === ConfigSourceSchema.typeName) {
      const cs = m as ConfigSource;
      if (cs.configSourceSpecifier.case !== "self") return false;
      cs.configSourceSpecifier = clone(ConfigSourceSchema, replacement).configSourceSpecifier;
      replaced++;
      return true;
    }
    if (d.typeName === "google.protobuf.Any") {
      const any = m as Any;
      if (any.typeUrl === "") return false;
      const inner = anyUnpack(any, registry);
      const innerDesc = inner && registry.getMessage(inner.$typeName);
      if (!inner || !innerDesc || !mayHoldConfigSource(innerDesc) || !walk(innerDesc, inner)) return false;
      any.value = toBinary(innerDesc, inner);
      return true;
    }
    let changed = false;
    for (const step of steps(d)) {
      const value = fieldValue(m, step.field);
      if (value === undefined) continue;
      if (step.kind === "message") changed = walk(step.desc, value as Message) || changed;
      else if (step.kind === "list") for (const item of value as Message[]) changed = walk(step.desc, item) || changed;
      else for (const item of Object.values(value as Record<string, Message>)) changed = walk(step.desc, item) || changed;
    }
    return changed;
  };
  if (mayHoldConfigSource(desc)) walk(desc, message);
  return replaced;
}
