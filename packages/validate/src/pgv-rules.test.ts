// The semantics of every rule kind of validate.proto, on a fixture type that carries them all,
// each checked four ways that must agree: generated code and interpreter, over message objects
// and over their encoding.
import { create, toBinary, type Message } from "@bufbuild/protobuf";
import { anyPack, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AddressSchema } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import { describe, expect, it } from "vitest";
import { createValidator } from "./index.js";
import { fixture } from "./test-support/rule-fixture.js";

const { registry, everything } = fixture;
const TYPE_URL = `type.googleapis.com/${everything.typeName}`;
const validators = [createValidator({ registry }), createValidator({ registry, generateCode: false })];
type Init = Record<string, unknown>;

const valid: Init = {
  strMinLen: "ab",
  i32Range: 5,
  i32Outside: 11,
  u64Gte: 5n,
  dur: { seconds: 2n },
  anyRequired: anyPack(AddressSchema, create(AddressSchema, { address: { case: "pipe", value: { path: "/tmp/s" } } })),
  msgRequired: { name: "leaf" },
  wrappedStr: "w",
  list: ["one"],
  counts: { ab: 1 },
  choice: { case: "choiceStr", value: "abc" },
};

/** Every violation as `field rule`, after checking the four ways agree. */
function violations(patch: Init): string[] {
  const message = create(everything, { ...valid, ...patch } as never) as Message;
  const bytes = toBinary(everything, message);
  const ways = validators.flatMap((v) => [v.validateResource(TYPE_URL, "r", message), v.validateResource(TYPE_URL, "r", bytes)]);
  const found = ways.map((r) => r.violations.map((x) => `${x.field} ${x.rule}`).sort());
  for (const other of found.slice(1)) expect(other).toEqual(found[0]);
  return found[0] ?? [];
}

describe("PGV rules", () => {
  it("a message that meets every rule has no violation", () => {
    expect(violations({})).toEqual([]);
  });

  it.each([
    ["string min_len counts code points", { strMinLen: "😀" }, ["str_min_len string.min_len"]],
    ["string min_len passes two code points in four bytes", { strMinLen: "😀😀" }, []],
    ["string max_len", { strMaxLen: "abcd" }, ["str_max_len string.max_len"]],
    ["string max_len counts code points, not UTF-16 units", { strMaxLen: "😀😀😀" }, []],
    ["string len with ignore_empty", { strLen: "abc" }, ["str_len string.len"]],
    ["string min_bytes / max_bytes", { strBytes: "é😀" }, ["str_bytes string.max_bytes"]],
    ["string min_bytes", { strBytes: "a" }, ["str_bytes string.min_bytes"]],
    ["pattern", { strPattern: "ab" }, ["str_pattern string.pattern"]],
    ["in", { strIn: "z" }, ["str_in string.in"]],
    ["not_in", { strNotIn: "bad" }, ["str_not_in string.not_in"]],
    ["const", { strConst: "j" }, ["str_const string.const"]],
    ["prefix, suffix, contains, not_contains", { strAffixes: "xa" }, ["str_affixes string.contains", "str_affixes string.not_contains", "str_affixes string.prefix", "str_affixes string.suffix"]],
    ["affixes met", { strAffixes: "pcs" }, []],
    ["hostname", { hostname: "-bad.example.com" }, ["hostname string.hostname"]],
    ["hostname with a trailing dot", { hostname: "ok.example.com." }, []],
    ["hostname too long", { hostname: `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example.com` }, ["hostname string.hostname"]],
    ["ip", { ip: "1.2.3" }, ["ip string.ip"]],
    ["ip: leading zeros are refused like Go", { ip: "01.2.3.4" }, ["ip string.ip"]],
    ["ip: IPv6 with an embedded IPv4", { ip: "::ffff:1.2.3.4" }, []],
    ["ip: zones are refused", { ip: "fe80::1%eth0" }, ["ip string.ip"]],
    ["ipv4 accepts an IPv4-mapped IPv6 like Go", { ipv4: "::ffff:10.0.0.1" }, []],
    ["ipv4", { ipv4: "::1" }, ["ipv4 string.ipv4"]],
    ["ipv6", { ipv6: "10.0.0.1" }, ["ipv6 string.ipv6"]],
    ["ipv6 refuses IPv4-mapped", { ipv6: "::ffff:10.0.0.1" }, ["ipv6 string.ipv6"]],
    ["address: hostname or IP", { address: "::1" }, []],
    ["address", { address: "bad host" }, ["address string.address"]],
    ["email", { email: "not-an-email" }, ["email string.email"]],
    ["email with a display name", { email: "Jo <jo@example.com>" }, []],
    ["uri must be absolute", { uri: "/relative" }, ["uri string.uri"]],
    ["uri", { uri: "https://example.com/a?b#c" }, []],
    ["uri_ref", { uriRef: "/ok/%zz" }, ["uri_ref string.uri_ref"]],
    ["uuid", { uuid: "not-a-uuid" }, ["uuid string.uuid"]],
    ["uuid ok", { uuid: "123e4567-e89b-12d3-a456-426614174000" }, []],
    ["header name (strict)", { headerName: "bad header" }, ["header_name string.well_known_regex"]],
    ["header name allows a leading colon", { headerName: ":authority" }, []],
    ["header value, strict: false allows what only strict forbids", { headerValueLenient: "tab\there\u0001" }, []],
    ["header value, strict: false still forbids CR, LF and NUL", { headerValueLenient: "a\r\nb" }, ["header_value_lenient string.well_known_regex"]],
    ["int32 inside (gt, lt)", { i32Range: 10 }, ["i32_range int32.range"]],
    ["int32 outside [lt, gt] when lt < gt", { i32Outside: 5 }, ["i32_outside int32.range"]],
    ["int32 outside bound itself is inside", { i32Outside: 0 }, ["i32_outside int32.range"]],
    ["uint64 gte", { u64Gte: 4n }, ["u64_gte uint64.gte"]],
    ["int64 in", { i64In: 3n }, ["i64_in int64.in"]],
    ["sint32 const with ignore_empty", { s32Const: 3 }, ["s32_const sint32.const"]],
    ["fixed32 lte", { f32Lte: 101 }, ["f32_lte fixed32.lte"]],
    ["sfixed64 not_in", { sf64NotIn: 7n }, ["sf64_not_in sfixed64.not_in"]],
    ["float gt (compared as float32)", { floatGt: 0.5 }, ["float_gt float.gt"]],
    ["double lte", { doubleLte: 1.6 }, ["double_lte double.lte"]],
    ["NaN passes comparisons, as in Go", { doubleLte: Number.NaN }, []],
    ["bool const", { boolConst: true }, ["bool_const bool.const"]],
    ["bytes len", { bytesLen: new Uint8Array(3) }, ["bytes_len bytes.len"]],
    ["bytes prefix and suffix", { bytesAffixes: new Uint8Array([2, 9]) }, ["bytes_affixes bytes.prefix"]],
    ["bytes ipv6", { bytesIpv6: new Uint8Array(4) }, ["bytes_ipv6 bytes.ipv6"]],
    ["bytes in", { bytesIn: new Uint8Array([2, 1]) }, ["bytes_in bytes.in"]],
    ["enum defined_only", { enumDefined: 7 }, ["enum_defined enum.defined_only"]],
    ["enum in", { enumIn: 2 }, ["enum_in enum.in"]],
    ["enum not_in", { enumNotIn: 2 }, ["enum_not_in enum.not_in"]],
    ["duration required", { dur: undefined }, ["dur duration.required"]],
    ["duration lt / gte", { dur: { seconds: 10n } }, ["dur duration.range"]],
    ["duration just inside", { dur: { seconds: 9n, nanos: 999_999_999 } }, []],
    ["an invalid duration", { dur: { seconds: 1n, nanos: -1 } }, ["dur duration.valid"]],
    ["duration in", { durIn: { seconds: 3n } }, ["dur_in duration.in"]],
    ["timestamp gt_now", { tsGtNow: timestampFromMs(Date.now() - 60_000) }, ["ts_gt_now timestamp.gt_now"]],
    ["timestamp lt", { tsLt: { seconds: 2_000_000_000n } }, ["ts_lt timestamp.lt"]],
    ["timestamp within", { tsWithin: timestampFromMs(Date.now() - 3_600_000) }, ["ts_within timestamp.within"]],
    ["timestamp within, near now", { tsWithin: timestampFromMs(Date.now()) }, []],
    ["any in", { anyIn: anyPack(AddressSchema, create(AddressSchema)) }, ["any_in.address oneof.required"]],
    ["any in, another type", { anyIn: { typeUrl: "type.googleapis.com/google.protobuf.Duration", value: new Uint8Array() } }, ["any_in any.in"]],
    ["any required", { anyRequired: undefined }, ["any_required any.required"]],
    ["an unknown Any type is a violation", { anyRequired: { typeUrl: "type.googleapis.com/example.Nope", value: new Uint8Array() } }, ["any_required any.type"]],
    ["Any content that does not decode", { anyRequired: { typeUrl: "type.googleapis.com/envoy.config.core.v3.Address", value: new Uint8Array([0x0a, 0xff]) } }, ["any_required any.decode"]],
    ["message required", { msgRequired: undefined }, ["msg_required message.required"]],
    ["a required message is validated", { msgRequired: { name: "" } }, ["msg_required.name string.min_len"]],
    ["message skip", { msgSkip: { name: "" } }, []],
    ["wrapper rules on the wrapped value", { wrappedU32: 0 }, ["wrapped_u32 uint32.gte"]],
    ["an unset wrapper is not checked", { wrappedU32: undefined }, []],
    ["a required wrapper", { wrappedStr: undefined }, ["wrapped_str message.required"]],
    ["repeated min_items", { list: [] }, ["list repeated.min_items"]],
    ["repeated max_items, unique, items", { list: ["a", "", "a", "b"] }, ["list repeated.max_items", "list[1] string.min_len", "list[2] repeated.unique"]],
    ["repeated ignore_empty", { listIgnoreEmpty: [] }, []],
    ["repeated ignore_empty, not empty", { listIgnoreEmpty: [0] }, ["list_ignore_empty repeated.min_items", "list_ignore_empty[0] int32.gt"]],
    ["repeated messages are validated item by item", { leaves: [{ name: "a" }, { name: "" }] }, ["leaves[1].name string.min_len"]],
    ["repeated message max_items", { leaves: [{ name: "a" }, { name: "b" }, { name: "c" }] }, ["leaves repeated.max_items"]],
    ["repeated enum items", { colors: [0, 5] }, ["colors[1] enum.defined_only"]],
    ["Any items are validated", { anys: [anyPack(AddressSchema, create(AddressSchema))] }, ["anys[0].address oneof.required"]],
    ["map min_pairs", { counts: {} }, ["counts map.min_pairs"]],
    ["map keys and values", { counts: { a: 1, bb: 0 } }, ['counts["a"] string.min_len', 'counts["bb"] int32.gt']],
    ["map message values", { leafMap: { k: { name: "" } } }, ['leaf_map["k"].name string.min_len']],
    ["map int64 keys", { byId: { "0": "zero", "5": "five" } }, ["by_id[0] int64.gt"]],
    ["oneof required", { choice: { case: undefined } }, ["choice oneof.required"]],
    ["oneof member rules", { choice: { case: "choiceStr", value: "ab" } }, ["choice_str string.min_len"]],
    ["oneof message member", { choice: { case: "choiceLeaf", value: { name: "" } } }, ["choice_leaf.name string.min_len"]],
    ["proto3 optional: unset is not checked", { maybe: undefined }, []],
    ["proto3 optional: set is checked, zero included", { maybe: 0 }, ["maybe int32.gt"]],
    ["nested messages of the same type", { child: { ...valid, strMinLen: "" } }, ["child.str_min_len string.min_len"]],
    ["a disabled message is not validated", { off: { name: "" } }, []],
  ] as [string, Init, string[]][])("%s", (_name, patch, expected) => {
    expect(violations(patch)).toEqual([...expected].sort());
  });
});
