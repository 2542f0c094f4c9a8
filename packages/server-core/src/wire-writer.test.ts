import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { durationBytes, varintSize, WireWriter, writeVarint } from "@xdskit/server-core/internal";
import { describe, expect, it } from "vitest";

describe("WireWriter", () => {
  it("writes varints as protobuf-es does, up to 2^53", () => {
    for (const value of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31 - 1, 2 ** 32, 2 ** 35 + 7, Number.MAX_SAFE_INTEGER]) {
      const expected = new BinaryWriter().uint64(value).finish();
      const out = new Uint8Array(varintSize(value));
      expect(writeVarint(out, 0, value)).toBe(expected.length);
      expect(out).toEqual(expected);
    }
  });

  it("writes fields in the order given, skipping proto3 defaults, after the headroom", () => {
    const bytes = new WireWriter().string(1, "é").string(2, "").repeatedString(3, "").varint(4, 0).varint(5, 300).finish(2);
    const expected = new BinaryWriter().uint32(10).string("é").uint32(26).string("").uint32(40).uint32(300).finish();
    expect(new Uint8Array(bytes.subarray(0, 2))).toEqual(new Uint8Array(2));
    expect(new Uint8Array(bytes.subarray(2))).toEqual(expected);
  });

  it("encodes a TTL duration as a protobuf-es Duration", () => {
    for (const ms of [1, 999, 1000, 1500, 5000, 86_400_000.5, 0.0004]) {
      const seconds = Math.floor(ms / 1000);
      const nanos = Math.round((ms - seconds * 1000) * 1e6);
      expect(new Uint8Array(durationBytes(ms))).toEqual(toBinary(DurationSchema, create(DurationSchema, { seconds: BigInt(seconds), nanos })));
    }
  });
});
