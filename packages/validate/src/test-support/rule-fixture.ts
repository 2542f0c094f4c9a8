// A message type built at test time whose fields carry every kind of validate rule, for unit
// tests of rule semantics (including kinds no Envoy message uses: timestamps, e-mail, URIs, …).
import { create, createFileRegistry, createRegistry, setExtension, type DescFile, type DescMessage, type MessageInitShape, type Registry } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  MessageOptionsSchema,
  OneofOptionsSchema,
  FieldOptionsSchema,
  type DescriptorProto,
  type FieldDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { envoyRegistry } from "@xdskit/envoy-api/registry";
import {
  disabled,
  FieldRulesSchema,
  file_validate_validate,
  required as oneofRequired,
  rules,
  type FieldRules,
} from "@xdskit/envoy-api/validate/validate_pb";

type RulesInit = MessageInitShape<typeof FieldRulesSchema>;

interface FieldSpec {
  readonly name: string;
  readonly type: Type;
  readonly typeName?: string;
  readonly repeated?: boolean;
  readonly rules?: RulesInit;
  readonly oneof?: number;
  readonly optional?: boolean;
}

let number = 0;
function field(spec: FieldSpec, oneofIndex?: number): MessageInitShape<typeof import("@bufbuild/protobuf/wkt").FieldDescriptorProtoSchema> {
  number++;
  const options = create(FieldOptionsSchema);
  if (spec.rules !== undefined) setExtension(options, rules, create(FieldRulesSchema, spec.rules) as FieldRules);
  return {
    name: spec.name,
    number,
    label: spec.repeated ? Label.REPEATED : Label.OPTIONAL,
    type: spec.type,
    ...(spec.typeName === undefined ? {} : { typeName: spec.typeName }),
    ...(oneofIndex === undefined ? {} : { oneofIndex }),
    ...(spec.optional ? { proto3Optional: true } : {}),
    options,
  };
}

const S = Type.STRING;
const M = Type.MESSAGE;

const fields: FieldSpec[] = [
  { name: "str_min_len", type: S, rules: { type: { case: "string", value: { minLen: 2n } } } },
  { name: "str_max_len", type: S, rules: { type: { case: "string", value: { maxLen: 3n } } } },
  { name: "str_len", type: S, rules: { type: { case: "string", value: { len: 2n, ignoreEmpty: true } } } },
  { name: "str_bytes", type: S, rules: { type: { case: "string", value: { minBytes: 2n, maxBytes: 4n, ignoreEmpty: true } } } },
  { name: "str_pattern", type: S, rules: { type: { case: "string", value: { pattern: "^a+$", ignoreEmpty: true } } } },
  { name: "str_in", type: S, rules: { type: { case: "string", value: { in: ["x", "y"], ignoreEmpty: true } } } },
  { name: "str_not_in", type: S, rules: { type: { case: "string", value: { notIn: ["bad"] } } } },
  { name: "str_const", type: S, rules: { type: { case: "string", value: { const: "k", ignoreEmpty: true } } } },
  { name: "str_affixes", type: S, rules: { type: { case: "string", value: { prefix: "p", suffix: "s", contains: "c", notContains: "x", ignoreEmpty: true } } } },
  { name: "hostname", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "hostname", value: true }, ignoreEmpty: true } } } },
  { name: "ip", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "ip", value: true }, ignoreEmpty: true } } } },
  { name: "ipv4", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "ipv4", value: true }, ignoreEmpty: true } } } },
  { name: "ipv6", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "ipv6", value: true }, ignoreEmpty: true } } } },
  { name: "address", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "address", value: true }, ignoreEmpty: true } } } },
  { name: "email", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "email", value: true }, ignoreEmpty: true } } } },
  { name: "uri", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "uri", value: true }, ignoreEmpty: true } } } },
  { name: "uri_ref", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "uriRef", value: true }, ignoreEmpty: true } } } },
  { name: "uuid", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "uuid", value: true }, ignoreEmpty: true } } } },
  { name: "header_name", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "wellKnownRegex", value: 1 }, ignoreEmpty: true } } } },
  { name: "header_value_lenient", type: S, rules: { type: { case: "string", value: { wellKnown: { case: "wellKnownRegex", value: 2 }, strict: false } } } },
  { name: "i32_range", type: Type.INT32, rules: { type: { case: "int32", value: { gt: 0, lt: 10 } } } },
  { name: "i32_outside", type: Type.INT32, rules: { type: { case: "int32", value: { gt: 10, lt: 0 } } } },
  { name: "u64_gte", type: Type.UINT64, rules: { type: { case: "uint64", value: { gte: 5n } } } },
  { name: "i64_in", type: Type.INT64, rules: { type: { case: "int64", value: { in: [0n, 1n, 2n] } } } },
  { name: "s32_const", type: Type.SINT32, rules: { type: { case: "sint32", value: { const: -3, ignoreEmpty: true } } } },
  { name: "f32_lte", type: Type.FIXED32, rules: { type: { case: "fixed32", value: { lte: 100 } } } },
  { name: "sf64_not_in", type: Type.SFIXED64, rules: { type: { case: "sfixed64", value: { notIn: [7n] } } } },
  { name: "float_gt", type: Type.FLOAT, rules: { type: { case: "float", value: { gt: 0.5, ignoreEmpty: true } } } },
  { name: "double_lte", type: Type.DOUBLE, rules: { type: { case: "double", value: { lte: 1.5 } } } },
  { name: "bool_const", type: Type.BOOL, rules: { type: { case: "bool", value: { const: false } } } },
  { name: "bytes_len", type: Type.BYTES, rules: { type: { case: "bytes", value: { len: 4n, ignoreEmpty: true } } } },
  { name: "bytes_affixes", type: Type.BYTES, rules: { type: { case: "bytes", value: { prefix: new Uint8Array([1]), suffix: new Uint8Array([9]), ignoreEmpty: true } } } },
  { name: "bytes_ipv6", type: Type.BYTES, rules: { type: { case: "bytes", value: { wellKnown: { case: "ipv6", value: true }, ignoreEmpty: true } } } },
  { name: "bytes_in", type: Type.BYTES, rules: { type: { case: "bytes", value: { in: [new Uint8Array([1, 2])], ignoreEmpty: true } } } },
  { name: "enum_defined", type: Type.ENUM, typeName: ".test.v1.Color", rules: { type: { case: "enum", value: { definedOnly: true } } } },
  { name: "enum_in", type: Type.ENUM, typeName: ".test.v1.Color", rules: { type: { case: "enum", value: { in: [0, 1] } } } },
  { name: "enum_not_in", type: Type.ENUM, typeName: ".test.v1.Color", rules: { type: { case: "enum", value: { notIn: [2] } } } },
  { name: "dur", type: M, typeName: ".google.protobuf.Duration", rules: { type: { case: "duration", value: { required: true, lt: { seconds: 10n }, gte: { seconds: 1n } } } } },
  { name: "dur_in", type: M, typeName: ".google.protobuf.Duration", rules: { type: { case: "duration", value: { in: [{ seconds: 1n }, { seconds: 2n }] } } } },
  { name: "ts_gt_now", type: M, typeName: ".google.protobuf.Timestamp", rules: { type: { case: "timestamp", value: { gtNow: true } } } },
  { name: "ts_lt", type: M, typeName: ".google.protobuf.Timestamp", rules: { type: { case: "timestamp", value: { lt: { seconds: 1_000_000_000n } } } } },
  { name: "ts_within", type: M, typeName: ".google.protobuf.Timestamp", rules: { type: { case: "timestamp", value: { within: { seconds: 60n } } } } },
  { name: "any_in", type: M, typeName: ".google.protobuf.Any", rules: { type: { case: "any", value: { in: ["type.googleapis.com/envoy.config.core.v3.Address"] } } } },
  { name: "any_required", type: M, typeName: ".google.protobuf.Any", rules: { type: { case: "any", value: { required: true } } } },
  { name: "msg_required", type: M, typeName: ".test.v1.Leaf", rules: { message: { required: true } } },
  { name: "msg_skip", type: M, typeName: ".test.v1.Leaf", rules: { message: { skip: true } } },
  { name: "wrapped_u32", type: M, typeName: ".google.protobuf.UInt32Value", rules: { type: { case: "uint32", value: { gte: 1 } } } },
  { name: "wrapped_str", type: M, typeName: ".google.protobuf.StringValue", rules: { message: { required: true }, type: { case: "string", value: { minLen: 1n } } } },
  { name: "list", type: S, repeated: true, rules: { type: { case: "repeated", value: { minItems: 1n, maxItems: 3n, unique: true, items: { type: { case: "string", value: { minLen: 1n } } } } } } },
  { name: "list_ignore_empty", type: Type.INT32, repeated: true, rules: { type: { case: "repeated", value: { minItems: 2n, ignoreEmpty: true, items: { type: { case: "int32", value: { gt: 0 } } } } } } },
  { name: "leaves", type: M, typeName: ".test.v1.Leaf", repeated: true, rules: { type: { case: "repeated", value: { maxItems: 2n } } } },
  { name: "colors", type: Type.ENUM, typeName: ".test.v1.Color", repeated: true, rules: { type: { case: "repeated", value: { items: { type: { case: "enum", value: { definedOnly: true } } } } } } },
  { name: "anys", type: M, typeName: ".google.protobuf.Any", repeated: true },
  { name: "counts", type: M, typeName: ".test.v1.Everything.CountsEntry", repeated: true, rules: { type: { case: "map", value: { minPairs: 1n, keys: { type: { case: "string", value: { minLen: 2n } } }, values: { type: { case: "int32", value: { gt: 0 } } } } } } },
  { name: "leaf_map", type: M, typeName: ".test.v1.Everything.LeafMapEntry", repeated: true, rules: { type: { case: "map", value: { noSparse: true } } } },
  { name: "by_id", type: M, typeName: ".test.v1.Everything.ByIdEntry", repeated: true, rules: { type: { case: "map", value: { keys: { type: { case: "int64", value: { gt: 0n } } } } } } },
  { name: "maybe", type: Type.INT32, optional: true, rules: { type: { case: "int32", value: { gt: 0 } } } },
  { name: "child", type: M, typeName: ".test.v1.Everything" },
  { name: "off", type: M, typeName: ".test.v1.Off" },
];

const oneofFields: FieldSpec[] = [
  { name: "choice_str", type: S, rules: { type: { case: "string", value: { minLen: 3n } } } },
  { name: "choice_leaf", type: M, typeName: ".test.v1.Leaf" },
];

function mapEntry(name: string, key: Type, value: Type, valueTypeName?: string): MessageInitShape<typeof import("@bufbuild/protobuf/wkt").DescriptorProtoSchema> {
  return {
    name,
    field: [
      { name: "key", number: 1, label: Label.OPTIONAL, type: key, jsonName: "key" },
      { name: "value", number: 2, label: Label.OPTIONAL, type: value, jsonName: "value", ...(valueTypeName === undefined ? {} : { typeName: valueTypeName }) },
    ],
    options: { mapEntry: true },
  };
}

function build(): { registry: Registry; everything: DescMessage } {
  number = 0;
  const everythingFields = fields.map((f) => field(f));
  // proto3 optional fields live in a synthetic oneof, declared after the real ones.
  const oneofFieldProtos = oneofFields.map((f) => field(f, 0));
  const optionalIndex = everythingFields.findIndex((f) => f.name === "maybe");
  const oneofOptions = create(OneofOptionsSchema);
  setExtension(oneofOptions, oneofRequired, true);
  const offOptions = create(MessageOptionsSchema);
  setExtension(offOptions, disabled, true);
  const maybe = everythingFields[optionalIndex] as { oneofIndex?: number };
  maybe.oneofIndex = 1;
  const leafName = create(FieldOptionsSchema);
  setExtension(leafName, rules, create(FieldRulesSchema, { type: { case: "string", value: { minLen: 1n } } }));
  const offName = create(FieldOptionsSchema);
  setExtension(offName, rules, create(FieldRulesSchema, { type: { case: "string", value: { minLen: 1n } } }));
  const proto = create(FileDescriptorProtoSchema, {
    name: "test/v1/everything.proto",
    package: "test.v1",
    syntax: "proto3",
    dependency: ["validate/validate.proto", "google/protobuf/any.proto", "google/protobuf/duration.proto", "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto"],
    enumType: [{ name: "Color", value: [{ name: "RED", number: 0 }, { name: "GREEN", number: 1 }, { name: "BLUE", number: 2 }] }],
    messageType: [
      {
        name: "Everything",
        field: [...everythingFields, ...oneofFieldProtos] as FieldDescriptorProto[],
        oneofDecl: [{ name: "choice", options: oneofOptions }, { name: "_maybe" }],
        nestedType: [
          mapEntry("CountsEntry", Type.STRING, Type.INT32),
          mapEntry("LeafMapEntry", Type.STRING, Type.MESSAGE, ".test.v1.Leaf"),
          mapEntry("ByIdEntry", Type.INT64, Type.STRING),
        ] as DescriptorProto[],
      },
      { name: "Leaf", field: [{ name: "name", number: 1, label: Label.OPTIONAL, type: Type.STRING, options: leafName }] },
      { name: "Off", field: [{ name: "name", number: 1, label: Label.OPTIONAL, type: Type.STRING, options: offName }], options: offOptions },
    ],
  });
  const deps: Record<string, DescFile> = {
    "validate/validate.proto": file_validate_validate,
    "google/protobuf/any.proto": file_google_protobuf_any,
    "google/protobuf/duration.proto": file_google_protobuf_duration,
    "google/protobuf/timestamp.proto": file_google_protobuf_timestamp,
    "google/protobuf/wrappers.proto": file_google_protobuf_wrappers,
  };
  const files = createFileRegistry(proto, (name) => deps[name]);
  const everything = files.getMessage("test.v1.Everything");
  if (everything === undefined) throw new Error("fixture did not build");
  return { registry: createRegistry(files, envoyRegistry), everything };
}

/** The fixture registry (the test types plus every Envoy type) and `test.v1.Everything`. */
export const fixture = /*@__PURE__*/ build();
