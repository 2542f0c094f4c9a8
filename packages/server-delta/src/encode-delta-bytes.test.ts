import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type CachedResource, type DeltaResponse, prepareRawResource, prepareResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { encodeDeltaResponse, encodeDeltaResponseBytes } from "@xdskit/server-delta";
import { describe, expect, it } from "vitest";

// A small seeded PRNG (mulberry32): failures name their seed and replay.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Lone surrogates (the last two) are written as U+FFFD, by protobuf-es too: the
// bytes still match, but the decoded message then differs from the one built.
const ALPHABET = ["a", "b", "z", "0", "/", "*", ".", "é", "ß", "日", "😀", "\u0000", " ", "\u07ff", "\u0800", "\uffff", "\ud800", "\udc00"];
let letters = ALPHABET.length;

function randomString(random: () => number, max: number): string {
  const length = Math.floor(random() * (max + 1));
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * letters)];
  return out;
}

function randomResource(random: () => number, i: number): CachedResource {
  const ttlMs = random() < 0.3 ? [1, 999, 1000, 1500.25, 30_000, 3_600_000][Math.floor(random() * 6)] : undefined;
  const options = ttlMs === undefined ? {} : { ttlMs };
  if (random() < 0.3) {
    return prepareResource(ClusterSchema, { name: `c-${i}-${randomString(random, 4)}`, connectTimeout: { seconds: BigInt(i) } }, options);
  }
  const bytes = new Uint8Array(Math.floor(random() * (random() < 0.1 ? 600 : 40)));
  for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(random() * 256);
  return prepareRawResource({ typeUrl: `type.googleapis.com/x.${randomString(random, 6)}`, name: `r${i}${randomString(random, 8)}`, bytes, ...options });
}

function randomResponse(random: () => number): DeltaResponse {
  const resources = Array.from({ length: Math.floor(random() * (random() < 0.1 ? 300 : 8)) }, (_, i) => randomResource(random, i));
  const nextVersionMap = new Map<string, string>();
  for (const resource of resources) {
    // Mostly the hash (the cached case); sometimes another version, or none (falls back to the hash).
    const pick = random();
    if (pick < 0.7) nextVersionMap.set(resource.name, resource.hash);
    else if (pick < 0.9) nextVersionMap.set(resource.name, randomString(random, 5));
  }
  return {
    request: create(DeltaDiscoveryRequestSchema),
    typeUrl: random() < 0.2 ? "" : `type.googleapis.com/${randomString(random, 10)}`,
    systemVersion: randomString(random, 12),
    resources,
    removed: Array.from({ length: Math.floor(random() * 4) }, () => randomString(random, 6)),
    nextVersionMap,
  };
}

describe("encodeDeltaResponseBytes", () => {
  it("writes the bytes protobuf-es writes for the message path, for 500 random responses", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = rng(seed);
      const wellFormed = seed % 2 === 0;
      letters = wellFormed ? ALPHABET.length - 2 : ALPHABET.length;
      const response = randomResponse(random);
      const nonce = randomString(random, 6);
      const message = encodeDeltaResponse(response, nonce);
      const fast = encodeDeltaResponseBytes(response, nonce);
      const built = toBinary(DeltaDiscoveryResponseSchema, message);
      expect(Buffer.compare(fast, built), `seed ${seed}: ${Buffer.from(fast).toString("hex")} != ${Buffer.from(built).toString("hex")}`).toBe(0);
      const expected = wellFormed ? message : fromBinary(DeltaDiscoveryResponseSchema, toBinary(DeltaDiscoveryResponseSchema, message));
      expect(equals(DeltaDiscoveryResponseSchema, fromBinary(DeltaDiscoveryResponseSchema, fast), expected), `seed ${seed}`).toBe(true);
      expect(Buffer.compare(encodeDeltaResponseBytes(response, nonce, 5).subarray(5), fast), `seed ${seed}`).toBe(0);
    }
  });
});
