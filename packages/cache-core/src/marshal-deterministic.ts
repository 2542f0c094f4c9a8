import {
  create,
  fromBinary,
  isMessage,
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type Message,
  type MessageShape,
  type Registry,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { CacheError } from "./cache-error.js";
import { TYPE_URL_PREFIX, typeNameOfUrl } from "./type-urls.js";

/** Options of {@link marshalDeterministic}. */
export interface MarshalOptions {
  /**
   * When given, `google.protobuf.Any` values whose type the registry knows are
   * decoded and re-encoded deterministically too, so that, for example, an
   * HttpConnectionManager packed into a listener hashes the same whatever
   * order its maps were filled in. Without it (the default) Any bytes are
   * taken as they are, like Go's deterministic marshal does.
   */
  readonly registry?: Registry | undefined;
}

/**
 * Encodes a message to the protobuf binary format deterministically: the
 * same content gives the same bytes, whatever order map entries (including
 * `google.protobuf.Struct` fields, such as metadata) were inserted in.
 *
 * protobuf-es writes fields in field-number order but map entries in object
 * key order, which follows insertion order for string keys. Here map entries
 * are written sorted by key (numerically for integer keys). Sub-messages that
 * can contain no map are handed to `toBinary` as they are, so the output is
 * byte-identical to `toBinary` whenever maps are already sorted.
 *
 * @throws {CacheError} `type-mismatch` when the message is not of `schema`.
 */
export function marshalDeterministic<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options: MarshalOptions = {},
): Uint8Array {
  if (message.$typeName !== schema.typeName) {
    throw new CacheError("type-mismatch", `cannot marshal a ${message.$typeName} as ${schema.typeName}`, {
      typeUrl: TYPE_URL_PREFIX + schema.typeName,
    });
  }
  const registry = options.registry;
  if (writtenAsIs(schema, message, registry !== undefined)) {
    return toBinary(schema, message);
  }
  const writer = new BinaryWriter();
  writeBody(writer, reflect(schema, message), registry);
  return writer.finish();
}

// Per schema: can a message of it (transitively) contain a map, or an Any when
// Any contents are canonicalized? Computed once per schema.
const sortingMemo = [new WeakMap<DescMessage, boolean>(), new WeakMap<DescMessage, boolean>()] as const;

function needsSorting(root: DescMessage, withAny: boolean): boolean {
  const memo = sortingMemo[withAny ? 1 : 0];
  const known = memo.get(root);
  if (known !== undefined) return known;
  const seen = new Set<DescMessage>();
  const stack: DescMessage[] = [root];
  let result = false;
  while (stack.length > 0 && !result) {
    const desc = stack.pop() as DescMessage;
    if (seen.has(desc)) continue;
    seen.add(desc);
    const cached = memo.get(desc);
    if (cached === false) continue;
    if (cached === true || (withAny && desc.typeName === AnySchema.typeName)) {
      result = true;
      break;
    }
    for (const field of desc.fields) {
      if (field.fieldKind === "map") {
        result = true;
        break;
      }
      if (field.message !== undefined) stack.push(field.message);
    }
  }
  memo.set(root, result);
  return result;
}

// What the value check below looks at in a message of a type that can contain a map (or an Any):
// its map fields, and its message fields whose type can too. Per type, computed once.
interface Inspected {
  readonly field: DescField;
  /** Where the value is: the field's own property, or its oneof's. */
  readonly key: string;
  readonly oneofCase: string | undefined;
  /** The message type to look into (of the field, its items, or its map values), when it can contain a map. */
  readonly child: DescMessage | undefined;
}

const inspectedMemo = [new WeakMap<DescMessage, readonly Inspected[]>(), new WeakMap<DescMessage, readonly Inspected[]>()] as const;

function inspectedFields(desc: DescMessage, withAny: boolean): readonly Inspected[] {
  const memo = inspectedMemo[withAny ? 1 : 0];
  let fields = memo.get(desc);
  if (fields === undefined) {
    const found: Inspected[] = [];
    for (const field of desc.fields) {
      const message = field.fieldKind === "scalar" || field.fieldKind === "enum" ? undefined : field.message;
      const child = message !== undefined && needsSorting(message, withAny) ? message : undefined;
      if (field.fieldKind !== "map" && child === undefined) continue;
      const key = field.oneof === undefined ? field.localName : field.oneof.localName;
      found.push({ field, key, oneofCase: field.oneof === undefined ? undefined : field.localName, child });
    }
    fields = found;
    memo.set(desc, fields);
  }
  return fields;
}

/**
 * Whether `toBinary` writes this message value deterministically already: every
 * map in it (transitively) has string keys in ascending order or fewer than
 * two entries, and, when Any contents are canonicalized, it holds no Any.
 * Most messages of types that can hold a map hold none (an endpoint without
 * metadata), and `toBinary` is several times faster than the reflective walk.
 * A value of an unexpected shape answers false: the walk then does what it does.
 */
function writtenAsIs(desc: DescMessage, message: Message, withAny: boolean): boolean {
  if (!needsSorting(desc, withAny)) return true;
  if (withAny && desc.typeName === AnySchema.typeName) return false;
  const record = message as unknown as Record<string, unknown>;
  for (const { field, key, oneofCase, child } of inspectedFields(desc, withAny)) {
    let value = record[key];
    if (oneofCase !== undefined) {
      const oneof = value as { case?: string; value?: unknown } | undefined;
      if (oneof?.case !== oneofCase) continue;
      value = oneof.value;
    }
    if (value === undefined) continue;
    if (field.fieldKind === "map") {
      if (typeof value !== "object" || value === null) return false;
      const entries = value as Record<string, unknown>;
      const keys = Object.keys(entries);
      if (keys.length > 1 && (field.mapKey !== ScalarType.STRING || !ascending(keys))) return false;
      if (child !== undefined) for (const k of keys) if (!childAsIs(child, entries[k], withAny)) return false;
    } else if (field.fieldKind === "list") {
      if (!Array.isArray(value)) return false;
      for (const item of value) if (!childAsIs(child as DescMessage, item, withAny)) return false;
    } else if (!childAsIs(child as DescMessage, value, withAny)) {
      return false;
    }
  }
  return true;
}

function childAsIs(desc: DescMessage, value: unknown, withAny: boolean): boolean {
  return isMessage(value, desc) && writtenAsIs(desc, value, withAny);
}

// Object keys already in the order the walk sorts them in (compareKeys).
function ascending(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareKeys(keys[i - 1], keys[i]) >= 0) return false;
  return true;
}

function writeBody(writer: BinaryWriter, msg: ReflectMessage, registry: Registry | undefined): void {
  if (writtenAsIs(msg.desc, msg.message, registry !== undefined)) {
    writer.raw(toBinary(msg.desc, msg.message));
    return;
  }
  if (registry !== undefined && isMessage(msg.message, AnySchema)) {
    writer.raw(toBinary(AnySchema, canonicalAny(msg.message, registry)));
    return;
  }
  for (const field of msg.sortedFields) {
    if (!msg.isSet(field)) continue;
    writeField(writer, field, msg, registry);
  }
  for (const unknown of msg.getUnknown() ?? []) {
    writer.tag(unknown.no, unknown.wireType).raw(unknown.data);
  }
}

function canonicalAny(any: MessageShape<typeof AnySchema>, registry: Registry): MessageShape<typeof AnySchema> {
  const desc = registry.getMessage(typeNameOfUrl(any.typeUrl));
  if (desc === undefined || any.value.length === 0) return any;
  let inner: Message;
  try {
    inner = fromBinary(desc, any.value);
  } catch {
    // Bytes that do not decode are kept as they are: still deterministic.
    return any;
  }
  const copy = create(AnySchema, { typeUrl: any.typeUrl, value: marshalDeterministic(desc, inner, { registry }) });
  if (any.$unknown !== undefined) copy.$unknown = any.$unknown;
  return copy;
}

function writeField(writer: BinaryWriter, field: DescField, msg: ReflectMessage, registry: Registry | undefined): void {
  switch (field.fieldKind) {
    case "scalar":
      writeScalar(writer.tag(field.number, wireTypeOf(field.scalar)), field.scalar, msg.get(field));
      return;
    case "enum":
      writer.tag(field.number, WireType.Varint).int32(msg.get(field));
      return;
    case "message":
      writeMessageField(writer, field.number, field.delimitedEncoding, msg.get(field), registry);
      return;
    case "list": {
      const list = msg.get(field);
      if (field.listKind === "message") {
        for (const item of list) {
          writeMessageField(writer, field.number, field.delimitedEncoding, item as ReflectMessage, registry);
        }
        return;
      }
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      if (field.packed) {
        writer.tag(field.number, WireType.LengthDelimited).fork();
        for (const item of list) writeScalar(writer, scalar, item);
        writer.join();
        return;
      }
      for (const item of list) writeScalar(writer.tag(field.number, wireTypeOf(scalar)), scalar, item);
      return;
    }
    case "map": {
      const map = msg.get(field);
      const entries = [...map.entries()].sort((a, b) => compareKeys(a[0], b[0]));
      for (const [key, value] of entries) {
        writer.tag(field.number, WireType.LengthDelimited).fork();
        writeScalar(writer.tag(1, wireTypeOf(field.mapKey)), field.mapKey, key);
        if (field.mapKind === "message") {
          writer.tag(2, WireType.LengthDelimited).fork();
          writeBody(writer, value as ReflectMessage, registry);
          writer.join();
        } else {
          const scalar = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
          writeScalar(writer.tag(2, wireTypeOf(scalar)), scalar, value);
        }
        writer.join();
      }
      return;
    }
  }
}

function writeMessageField(
  writer: BinaryWriter,
  fieldNo: number,
  delimited: boolean,
  value: ReflectMessage,
  registry: Registry | undefined,
): void {
  if (delimited) {
    writer.tag(fieldNo, WireType.StartGroup);
    writeBody(writer, value, registry);
    writer.tag(fieldNo, WireType.EndGroup);
    return;
  }
  writer.tag(fieldNo, WireType.LengthDelimited).fork();
  writeBody(writer, value, registry);
  writer.join();
}

// Map keys arrive typed from the reflect API: string, number, bigint (or a
// decimal string for 64-bit keys) and boolean.
function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = BigInt(a as bigint | string);
    const y = BigInt(b as bigint | string);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

type Int64Value = string | number | bigint;

function writeScalar(writer: BinaryWriter, scalar: ScalarType, value: unknown): void {
  switch (scalar) {
    case ScalarType.STRING:
      writer.string(value as string);
      return;
    case ScalarType.BYTES:
      writer.bytes(value as Uint8Array);
      return;
    case ScalarType.BOOL:
      writer.bool(value as boolean);
      return;
    case ScalarType.DOUBLE:
      writer.double(value as number);
      return;
    case ScalarType.FLOAT:
      writer.float(value as number);
      return;
    case ScalarType.INT32:
      writer.int32(value as number);
      return;
    case ScalarType.UINT32:
      writer.uint32(value as number);
      return;
    case ScalarType.SINT32:
      writer.sint32(value as number);
      return;
    case ScalarType.FIXED32:
      writer.fixed32(value as number);
      return;
    case ScalarType.SFIXED32:
      writer.sfixed32(value as number);
      return;
    case ScalarType.INT64:
      writer.int64(value as Int64Value);
      return;
    case ScalarType.UINT64:
      writer.uint64(value as Int64Value);
      return;
    case ScalarType.SINT64:
      writer.sint64(value as Int64Value);
      return;
    case ScalarType.FIXED64:
      writer.fixed64(value as Int64Value);
      return;
    case ScalarType.SFIXED64:
      writer.sfixed64(value as Int64Value);
      return;
  }
}
