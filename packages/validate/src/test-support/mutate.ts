// A generic mutator: breaks a valid resource at random places (chosen by numbers fast-check
// generates) the way a control plane bug would: dropped required fields and oneofs, numbers out
// of range, bad enums, empty, malformed and over-long strings, lists too short or too long, Any
// fields with the wrong or an unknown type. It looks into Any contents too.
import { clone, create, fromBinary, hasOption, ScalarType, toBinary, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { envoyRegistry } from "@xdskit/envoy-api/registry";
import { required, rules } from "@xdskit/envoy-api/validate/validate_pb";
import type { TypedResource } from "./resources.js";

/** One mutation: `site` picks the field, `kind` the change, `seed` varies it. */
export interface Mutation {
  readonly site: number;
  readonly kind: number;
  readonly seed: number;
}

type Rec = Record<string, unknown>;
interface AnyLike {
  $typeName: "google.protobuf.Any";
  typeUrl: string;
  value: Uint8Array;
}
interface Site {
  readonly msg: Rec;
  readonly desc: DescMessage;
  readonly field: DescField;
}

const STRINGS = [
  "",
  " ",
  "bad\nvalue",
  "nul\u0000inside",
  "*",
  "UPPER.Example.COM",
  "-leading-hyphen.example.com",
  "caf\u00e9",
  ":authority",
  "x-header",
  "::1",
  "300.1.2.3",
  "10.0.0.1",
  "a,b",
  "/path with space",
  "\u0001",
];
const WRAPPERS = new Set(["google.protobuf.UInt32Value", "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue"]);

function scalarValue(scalar: ScalarType, kind: number, seed: number): unknown {
  switch (scalar) {
    case ScalarType.STRING: {
      if (kind % 5 === 0) return "x".repeat(seed % 2 === 0 ? 300 : 20_000);
      return STRINGS[seed % STRINGS.length];
    }
    case ScalarType.BYTES:
      return kind % 2 === 0 ? new Uint8Array(0) : new Uint8Array(seed % 100).fill(7);
    case ScalarType.BOOL:
      return seed % 2 === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return [0, -1, 1.5, 100.5, 1e20, -0.5, Number.NaN, 0.000001][seed % 8];
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return [0, -1, 1, 2147483647, -2147483648, 65536, 100][seed % 7];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [0, 1, 4294967295, 65535, 65536, 100, 2][seed % 7];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n, 1000000n][seed % 6];
    default:
      return [0n, 1n, 18446744073709551615n, 1000000n][seed % 4];
  }
}

/** The message an Any holds, decoded, or `undefined` when its type is unknown or it does not decode. */
function unpack(any: AnyLike): Message | undefined {
  const desc = envoyRegistry.getMessage(any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1));
  if (desc === undefined) return undefined;
  try {
    return fromBinary(desc, any.value);
  } catch {
    return undefined;
  }
}

class Mutator {
  readonly sites: Site[] = [];
  /** Sites with validate rules (or in a required oneof): where most mutations aim. */
  readonly ruled: Site[] = [];
  readonly anys: { any: AnyLike; inner: Message; desc: DescMessage }[] = [];

  collect(msg: Rec, desc: DescMessage, depth: number): void {
    if (depth > 30) return;
    if (desc.typeName === "google.protobuf.Any") {
      const any = msg as unknown as AnyLike;
      const inner = unpack(any);
      if (inner !== undefined) {
        const innerDesc = envoyRegistry.getMessage(inner.$typeName) as DescMessage;
        this.anys.push({ any, inner, desc: innerDesc });
        this.collect(inner as unknown as Rec, innerDesc, depth + 1);
      }
    }
    for (const field of desc.fields) {
      this.sites.push({ msg, desc, field });
      if (hasOption(field, rules) || (field.oneof !== undefined && hasOption(field.oneof, required))) this.ruled.push({ msg, desc, field });
      const value = this.read(msg, field);
      if (value === undefined || value === null) continue;
      if (field.fieldKind === "message" && typeof value === "object") this.collect(value as Rec, field.message, depth + 1);
      if (field.fieldKind === "list" && field.listKind === "message") for (const item of value as Rec[]) this.collect(item, field.message, depth + 1);
      if (field.fieldKind === "map" && field.mapKind === "message") for (const item of Object.values(value as Rec)) this.collect(item as Rec, field.message, depth + 1);
    }
  }

  read(msg: Rec, field: DescField): unknown {
    if (field.oneof !== undefined) {
      const sel = msg[field.oneof.localName] as { case?: string; value?: unknown };
      return sel.case === field.localName ? sel.value : undefined;
    }
    return msg[field.localName];
  }

  write(msg: Rec, field: DescField, value: unknown): void {
    if (field.oneof !== undefined) msg[field.oneof.localName] = value === undefined ? { case: undefined } : { case: field.localName, value };
    else if (value === undefined) delete msg[field.localName];
    else msg[field.localName] = value;
  }

  apply(m: Mutation): void {
    const pool = m.seed % 3 !== 0 && this.ruled.length > 0 ? this.ruled : this.sites;
    const site = pool[m.site % pool.length];
    if (site === undefined) return;
    const { msg, field } = site;
    const current = this.read(msg, field);
    switch (field.fieldKind) {
      case "scalar":
        this.write(msg, field, scalarValue(field.scalar, m.kind, m.seed));
        return;
      case "enum":
        this.write(msg, field, [99, -1, 0, 1, 2, 1000][m.seed % 6]);
        return;
      case "message": {
        const name = field.message.typeName;
        // protobuf-es holds a singular wrapper outside a oneof as its plain value.
        const unboxed = WRAPPERS.has(name) && field.oneof === undefined;
        if (unboxed && m.kind % 4 !== 0) {
          const inner = field.message.fields[0];
          if (inner?.fieldKind === "scalar") this.write(msg, field, scalarValue(inner.scalar, m.kind, m.seed));
          return;
        }
        if (m.kind % 4 === 0 || current === undefined) {
          this.write(msg, field, !unboxed && m.kind % 8 === 0 && current === undefined ? create(field.message) : undefined);
          return;
        }
        if (name === "google.protobuf.Duration") {
          const seconds = [0n, -1n, 1n, 315576000001n, 5n, 0n][m.seed % 6] as bigint;
          const nanos = [0, 0, 1, 0, -5, 1_000_000_000][m.seed % 6] as number;
          this.write(msg, field, { $typeName: name, seconds, nanos });
          return;
        }
        if (name === "google.protobuf.Any" && typeof current === "object" && current !== null) {
          const any = current as AnyLike;
          const choice = m.seed % 4;
          if (choice === 0) any.typeUrl = "type.googleapis.com/example.Unknown";
          else if (choice === 1) any.typeUrl = "type.googleapis.com/envoy.config.core.v3.Address";
          else if (choice === 2) any.value = new Uint8Array([0xff, 0xff, 0xff]);
          else {
            any.typeUrl = "";
            any.value = new Uint8Array(0);
          }
          return;
        }
        // Empty the message: its own required fields go missing.
        this.write(msg, field, create(field.message));
        return;
      }
      case "list": {
        const list = (current as unknown[] | undefined) ?? [];
        const choice = m.kind % 4;
        if (choice === 0) list.length = 0;
        else if (choice === 1 && list.length > 0) list.push(list[0]);
        else if (choice === 2 && field.listKind === "message") list.push(create(field.message));
        else if (field.listKind === "scalar") list.push(scalarValue(field.scalar, m.kind, m.seed));
        else if (field.listKind === "enum") list.push(99);
        else list.pop();
        return;
      }
      case "map": {
        const map = (current as Rec | undefined) ?? {};
        const choice = m.kind % 3;
        if (choice === 0) for (const k of Object.keys(map)) delete map[k];
        else if (field.mapKind === "message") map[m.seed % 2 === 0 ? "" : "k"] = create(field.message);
        else if (field.mapKind === "scalar") map["k"] = scalarValue(field.scalar, m.kind, m.seed);
        return;
      }
    }
  }

  /** Encodes every unpacked Any again, innermost first (collected in pre-order). */
  repack(): void {
    for (let i = this.anys.length - 1; i >= 0; i--) {
      const { any, inner, desc } = this.anys[i] as (typeof this.anys)[number];
      // A mutation may have replaced the Any's type or bytes: keep those as they are.
      const sameType = any.typeUrl.endsWith(`/${desc.typeName}`);
      if (sameType && !(any.value.length === 3 && any.value[0] === 0xff)) any.value = toBinary(desc, inner);
    }
  }
}

/** A mutated copy of `resource` (the original is untouched). */
export function mutate(resource: TypedResource, mutations: readonly Mutation[]): TypedResource {
  const desc = envoyRegistry.getMessage(resource.message.$typeName) as DescMessage;
  const message = clone(desc, resource.message);
  const m = new Mutator();
  m.collect(message as unknown as Rec, desc, 0);
  for (const mutation of mutations) m.apply(mutation);
  m.repack();
  return { typeUrl: resource.typeUrl, message };
}
