import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRequest, readDeltaRequest, readDiscoveryRequest, readSotwRequest } from "./discovery-request-reader.js";

const EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
const NAMES = Array.from({ length: 100 }, (_, i) => `cluster-${String(i).padStart(4, "0")}`);

/** What decoding gives: the message, or the error's message. */
function outcome(decode: () => unknown): { message: unknown } | { error: string } {
  try {
    return { message: decode() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

type WireField =
  | { kind: "string"; no: number; value: string }
  | { kind: "bytes"; no: number; value: Uint8Array }
  | { kind: "varint"; no: number; value: number }
  | { kind: "fixed32"; no: number; value: number };

function encode(fields: readonly WireField[]): Uint8Array {
  const w = new BinaryWriter();
  for (const f of fields) {
    if (f.kind === "string") w.tag(f.no, WireType.LengthDelimited).string(f.value);
    else if (f.kind === "bytes") w.tag(f.no, WireType.LengthDelimited).bytes(f.value);
    else if (f.kind === "varint") w.tag(f.no, WireType.Varint).uint32(f.value);
    else w.tag(f.no, WireType.Bit32).fixed32(f.value);
  }
  return w.finish();
}

const asciiName = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
// Mostly what clients send, then what the readers leave to protobuf-es: other text, invalid
// UTF-8, sub-messages (a node, an error detail, locators, initial versions), other wire types,
// field numbers past 15.
const text = fc.oneof({ weight: 8, arbitrary: asciiName }, { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) }, { weight: 1, arbitrary: fc.constant("") });
const field = (numbers: readonly number[]): fc.Arbitrary<WireField> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant("string" as const), no: fc.constantFrom(...numbers), value: text }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("bytes" as const), no: fc.integer({ min: 1, max: 20 }), value: fc.uint8Array({ maxLength: 12 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("varint" as const), no: fc.integer({ min: 1, max: 20 }), value: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("fixed32" as const), no: fc.integer({ min: 1, max: 20 }), value: fc.nat() }) },
  );

/** Encoded requests, some cut short. */
const requests = (numbers: readonly number[]) =>
  fc
    .tuple(fc.array(field(numbers), { maxLength: 12 }), fc.option(fc.nat(), { freq: 5 }))
    .map(([fields, cut]) => {
      const bytes = encode(fields);
      return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    });

function agreesWithProtobufEs(schema: DescMessage, bytes: Uint8Array): void {
  // A Buffer (the fast path's chunks) and a plain Uint8Array (grpc-js hands either).
  for (const input of [Buffer.from(bytes), new Uint8Array(bytes)]) {
    expect(outcome(() => decodeRequest(schema, input))).toStrictEqual(outcome(() => fromBinary(schema, input)));
  }
}

describe("decodeRequest", () => {
  it("gives what protobuf-es gives for any DiscoveryRequest bytes (the names, version, type, nonce, and everything else)", () => {
    fc.assert(
      fc.property(requests([1, 3, 4, 5, 2, 6, 7]), (bytes) => agreesWithProtobufEs(DiscoveryRequestSchema, bytes)),
      { numRuns: 3000 },
    );
  });

  it("gives what protobuf-es gives for any DeltaDiscoveryRequest bytes", () => {
    fc.assert(
      fc.property(requests([2, 3, 4, 6, 1, 5, 7, 8, 9]), (bytes) => agreesWithProtobufEs(DeltaDiscoveryRequestSchema, bytes)),
      { numRuns: 3000 },
    );
  });

  it("reads ACKs and re-requests itself, and leaves a first request (with its node) to protobuf-es", () => {
    const sotwAck = create(DiscoveryRequestSchema, { versionInfo: "7", resourceNames: NAMES, typeUrl: EDS, responseNonce: "42" });
    const deltaAck = create(DeltaDiscoveryRequestSchema, { typeUrl: EDS, responseNonce: "42" });
    const deltaChange = create(DeltaDiscoveryRequestSchema, { typeUrl: EDS, resourceNamesSubscribe: ["a"], resourceNamesUnsubscribe: ["b", "c"] });
    // Through the dispatch by schema, as the transports call it.
    expect(readDiscoveryRequest(DiscoveryRequestSchema, toBinary(DiscoveryRequestSchema, sotwAck))).toStrictEqual(sotwAck);
    expect(readDiscoveryRequest(DeltaDiscoveryRequestSchema, toBinary(DeltaDiscoveryRequestSchema, deltaAck))).toStrictEqual(deltaAck);
    expect(readSotwRequest(toBinary(DiscoveryRequestSchema, sotwAck))).toStrictEqual(sotwAck);
    expect(readDeltaRequest(toBinary(DeltaDiscoveryRequestSchema, deltaAck))).toStrictEqual(deltaAck);
    expect(readDeltaRequest(toBinary(DeltaDiscoveryRequestSchema, deltaChange))).toStrictEqual(deltaChange);
    const first = create(DiscoveryRequestSchema, { node: { id: "n" }, typeUrl: EDS, resourceNames: NAMES });
    expect(readSotwRequest(toBinary(DiscoveryRequestSchema, first))).toBeUndefined();
    expect(decodeRequest(DiscoveryRequestSchema, toBinary(DiscoveryRequestSchema, first))).toStrictEqual(first);
    const nack = create(DeltaDiscoveryRequestSchema, { typeUrl: EDS, responseNonce: "1", errorDetail: { code: 3, message: "bad" } });
    expect(readDeltaRequest(toBinary(DeltaDiscoveryRequestSchema, nack))).toBeUndefined();
    expect(readSotwRequest(toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { typeUrl: "type.googleapis.com/é" })))).toBeUndefined();
  });

  it("reads each type URL as itself, however many of the same length come and go (the reader keeps the last few it made)", () => {
    // Twelve type URLs of one length that differ in one byte, each read several times in turn: more than the reader keeps.
    const typeUrls = Array.from({ length: 12 }, (_, i) => `type.googleapis.com/x.T${String.fromCharCode(65 + i)}`);
    for (let round = 0; round < 3; round++) {
      for (const typeUrl of [...typeUrls, ...[...typeUrls].reverse()]) {
        const delta = create(DeltaDiscoveryRequestSchema, { typeUrl, responseNonce: "7" });
        const sotw = create(DiscoveryRequestSchema, { typeUrl, responseNonce: "7", versionInfo: "1" });
        expect(readDeltaRequest(toBinary(DeltaDiscoveryRequestSchema, delta))).toStrictEqual(delta);
        expect(readSotwRequest(toBinary(DiscoveryRequestSchema, sotw))).toStrictEqual(sotw);
      }
    }
  });

  it("throws protobuf-es's error for malformed bytes", () => {
    expect(() => decodeRequest(DeltaDiscoveryRequestSchema, new Uint8Array([0x12, 0x05, 0x61]))).toThrow(/premature EOF|out of range/i);
  });
});
